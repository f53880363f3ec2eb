// SPDX-License-Identifier: GPL-2.0
// DS_TRAIT: a dyn async trait declared once. The trait's async methods are
// listed in an X-macro, one line each:
/*
 *   #define DS_READER_METHODS(X)                     \
 *           X(kRead, size_t, read, char *, size_t)   \
 *           X(kClose, int, close)
 *   class Reader {
 *           DS_TRAIT(Reader, DS_READER_METHODS)
 *           // non-async members as usual
 *   };
 */
// X(id, T, name, Params...) declares the method
//   virtual ds::Future<T> name(Params..., ds::Storage &) = 0;
// (the caller's storage always comes last) with the method id @id, and
// DS_TRAIT generates from the list everything that used to be written by
// hand next to it: a public virtual destructor, enum Method { ids },
// kMethods, kMethodNames, the layout probe (each method of an impl called
// statically with a LayoutProbe, which refuses the frame: its body never
// runs), and the compile-time check that an impl overrides every method
// with that exact signature (ds::Implements, and one static_assert per
// method naming it where impls are registered: LayoutTable::add).
//
// Limits: a type with a comma (std::pair<A, B>) needs an alias first; an
// rvalue-reference parameter cannot be probed; a parameter type that is
// not default-constructible needs a ds::ProbeArg specialization (below).
// Comments inside the list are /* */: the lines end in a backslash.
#pragma once

#include <cstddef>
#include <type_traits>

#include "rt/dyn.hpp"
#include "rt/future.hpp"

namespace ds {

// What the layout probe passes for a parameter of type T (cv and & taken
// off): its value is never read, since the body does not run under the
// probe (a frame-free impl must check for the probe before using its
// arguments, as Future<T>::ready_in does). Specialize it for a type that
// has no default constructor; it converts to what the parameter takes.
template <class T>
struct ProbeArg {
	static_assert(std::is_nothrow_default_constructible_v<T>,
		      "this async method parameter type needs a ds::ProbeArg<T> "
		      "specialization: the layout probe must pass one");
	T value{};
	operator T &() noexcept { return value; }
};

// Consume<T>: a by-value self the probe never takes.
template <class T>
struct ProbeArg<Consume<T>> {
	DynBox<T> none;
	operator Consume<T>() noexcept { return Consume<T>(none); }
};

namespace detail {

// The frame size @call(ProbeArg<P>..., probe) asks for: body never runs.
template <class... P, class Call>
size_t probe_method(Call &&call) noexcept
{
	LayoutProbe probe;
	{
		auto refused = call(ProbeArg<std::remove_cvref_t<P>>{}..., probe);
		(void)refused;
	}
	return probe.size();
}

template <class F>
struct AddNoexcept;
template <class R, class... A>
struct AddNoexcept<R(A...)> {
	using type = R(A...) noexcept;
};

// The class that declares the member function of type @Sig that &C::name
// names (overloads resolved by @Sig). The trait itself when an impl does
// not override it; no match (substitution failure) when an impl declares
// the name with another signature only.
template <class Sig, class C>
C *member_class(Sig C::*) noexcept;
template <class Sig, class C>
C *member_class(typename AddNoexcept<Sig>::type C::*) noexcept;

} // namespace detail

// @Impl implements every async method of @Trait with its exact signature.
// An impl of the trait that misses one is a hard error naming the method
// (check_impl's static_asserts), not a quietly unsatisfied constraint: it
// is always a bug. A type that does not derive from the trait is just
// unsatisfied (the conjunction stops there).
template <class Impl, class Trait>
concept Implements = std::is_base_of_v<Trait, Impl> && Trait::template check_impl<Impl>();

} // namespace ds

#define DS_TRAIT_ID_(id, T, name, ...) id,
#define DS_TRAIT_COUNT_(id, T, name, ...) +1
#define DS_TRAIT_NAME_(id, T, name, ...) #name,
#define DS_TRAIT_SIG_(T, ...) ::ds::Future<T>(__VA_ARGS__ __VA_OPT__(, )::ds::Storage &)
#define DS_TRAIT_VIRTUAL_(id, T, name, ...) \
	virtual ::ds::Future<T> name(__VA_ARGS__ __VA_OPT__(, )::ds::Storage &) = 0;
#define DS_TRAIT_PROBE_(id, T, name, ...)                                                 \
	out[id] = ::ds::detail::probe_method<__VA_ARGS__>(                               \
		[&](auto &&...a) { return it.Impl::name(a...); });
#define DS_TRAIT_HAS_(id, T, name, ...)                                                   \
	template <class Impl>                                                             \
	static constexpr bool ds_overrides_##name = requires {                            \
		requires !std::is_same_v<                                                 \
			decltype(::ds::detail::member_class<DS_TRAIT_SIG_(T, __VA_ARGS__)>( \
				&Impl::name)),                                            \
			ds_trait_self *>;                                                 \
	};
#define DS_TRAIT_ASSERT_(id, T, name, ...)                                                \
	static_assert(ds_overrides_##name<Impl>,                                          \
		      "the impl does not override the async method " #name                 \
		      " (missing, or another signature than ds::Future<" #T "> " #name     \
		      "(" #__VA_ARGS__ __VA_OPT__(", ") "ds::Storage &))");

// Inside the trait's class body; leaves the access public.
#define DS_TRAIT(Trait, METHODS)                                                          \
public:                                                                                   \
	using ds_trait_self = Trait;                                                      \
	virtual ~Trait() = default;                                                       \
	enum Method : size_t { METHODS(DS_TRAIT_ID_) };                                   \
	static constexpr size_t kMethods = 0 METHODS(DS_TRAIT_COUNT_);                    \
	static constexpr const char *kMethodNames[kMethods] = { METHODS(DS_TRAIT_NAME_) }; \
	METHODS(DS_TRAIT_VIRTUAL_)                                                        \
	/* The layout probe: every method of Impl called statically. */                   \
	template <class Impl>                                                             \
	static void probe(Impl &it, size_t out[kMethods]) noexcept                        \
	{                                                                                 \
		METHODS(DS_TRAIT_PROBE_)                                                  \
	}                                                                                 \
	METHODS(DS_TRAIT_HAS_)                                                            \
	/* One static_assert per method, naming it. */                                    \
	template <class Impl>                                                             \
	static constexpr bool check_impl() noexcept                                       \
	{                                                                                 \
		METHODS(DS_TRAIT_ASSERT_)                                                 \
		return true;                                                              \
	}
