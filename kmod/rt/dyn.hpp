// SPDX-License-Identifier: GPL-2.0
// Dyn helpers: trait objects placed in caller-chosen storage (DynBox,
// make_in), consuming calls (Consume), and the layout probe and table that
// size inline slots from the frames impls really ask for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "rt/future.hpp"

namespace ds {

// An owned trait object in storage a caller chose; freed back to it.
template <class T>
class DynBox {
	static_assert(std::has_virtual_destructor_v<T>,
		      "a trait needs a virtual destructor to be owned through it");

public:
	DynBox() = default;
	DynBox(T *obj, void *block, FrameOwner *owner, size_t size) noexcept
		: obj_(obj), block_(block), owner_(owner), size_(size) {}
	DynBox(DynBox &&o) noexcept
		: obj_(std::exchange(o.obj_, nullptr)), block_(o.block_),
		  owner_(o.owner_), size_(o.size_) {}
	template <class U>
	DynBox(DynBox<U> &&o) noexcept // upcast
		: obj_(o.obj_), block_(o.block_), owner_(o.owner_), size_(o.size_)
	{
		o.obj_ = nullptr;
	}
	DynBox &operator=(DynBox &&o) noexcept
	{
		if (this != &o) {
			reset();
			obj_ = std::exchange(o.obj_, nullptr);
			block_ = o.block_;
			owner_ = o.owner_;
			size_ = o.size_;
		}
		return *this;
	}
	DynBox(const DynBox &) = delete;
	DynBox &operator=(const DynBox &) = delete;
	~DynBox() { reset(); }

	void reset() noexcept
	{
		if (!obj_)
			return;
		std::exchange(obj_, nullptr)->~T();
		owner_->release(block_, size_);
	}
	T *get() const noexcept { return obj_; }
	T *operator->() const noexcept { return obj_; }
	T &operator*() const noexcept { return *obj_; }
	explicit operator bool() const noexcept { return obj_; }

private:
	template <class U>
	friend class DynBox;
	T *obj_ = nullptr;
	void *block_ = nullptr;
	FrameOwner *owner_ = nullptr;
	size_t size_ = 0;
};

// Constructs an @Impl in @s and returns it owned as a @T (its trait):
// the non-async "return-position impl Trait" of the seeds, fallibly.
template <class Impl, class T = Impl, class... Args>
Result<DynBox<T>> make_in(Storage &s, Args &&...args) noexcept
{
	static_assert(std::is_nothrow_constructible_v<Impl, Args...>);
	Allocation a = s.allocate(sizeof(Impl), alignof(Impl));
	if (!a.ptr)
		return Err{a.err};
	Impl *obj = new (a.ptr) Impl(std::forward<Args>(args)...);
	return DynBox<T>(static_cast<T *>(obj), a.ptr, a.owner, sizeof(Impl));
}

// By-value self: passed to a consuming async method, which take()s the
// object when its body starts. A call that cannot start (its frame could
// not be allocated) never runs its body, so the caller's DynBox is left
// exactly as it was. The body must not use the consumed object's own
// inline slot as storage (it frees the object before the frame).
template <class T>
class Consume {
public:
	explicit Consume(DynBox<T> &src) noexcept : src_(&src) {}
	DynBox<T> take() noexcept { return std::move(*src_); }

private:
	DynBox<T> *src_;
};

// The frame size (header included) that @call(storage) asks for, without
// running its body and without allocating.
template <class Call>
size_t probe_frame(Call &&call) noexcept
{
	LayoutProbe probe;
	{
		auto refused = call(probe);
		(void)refused;
	}
	return probe.size();
}

namespace detail {

// A DS_TRAIT trait checks its impls; a hand-written one (kMethods and
// probe() only) is taken as it is.
template <class Trait, class Impl>
constexpr bool check_impl_if_declared() noexcept
{
	if constexpr (requires { Trait::template check_impl<Impl>(); })
		return Trait::template check_impl<Impl>();
	return true;
}

} // namespace detail

// The frame size of each method of @Impl (a DS_TRAIT trait's impl, see
// rt/trait.hpp), into @out. Probing calls it.Impl::method(...) on an
// object: calling a member function where no Impl lives is undefined
// ([class.mfct.non-static]) even though the body never runs (the object
// is an argument of the frame's operator new, and a call through a
// non-first base adjusts it), so one is default-constructed here, on the
// stack. An impl that cannot be (large, or a constructor with effects)
// is probed through an instance: Trait::probe(instance, out).
template <class Trait, class Impl>
void probe_impl(size_t out[Trait::kMethods]) noexcept
{
	static_assert(detail::check_impl_if_declared<Trait, Impl>());
	static_assert(std::is_nothrow_default_constructible_v<Impl>,
		      "probing constructs an Impl{}: give it a noexcept default "
		      "constructor, or register an instance (LayoutTable::add(impl))");
	Impl it{};
	Trait::probe(it, out);
}

// Max frame size per method of a trait, over the impls registered with
// add(); computed once at init, then used to size inline slots exactly.
// The trait is declared with DS_TRAIT (rt/trait.hpp), which gives it
// kMethods, probe() and check_impl(); a hand-written trait provides
//   static constexpr size_t kMethods;
//   template <class Impl> static void probe(Impl &, size_t out[kMethods]);
template <class Trait>
class LayoutTable {
public:
	static constexpr size_t kMethods = Trait::kMethods;

	// One line per impl: table.add<Counter>().
	template <class Impl>
	void add() noexcept
	{
		size_t sizes[kMethods] = {};
		probe_impl<Trait, Impl>(sizes);
		merge(sizes);
	}
	// Through an instance of the impl (one that cannot be default-
	// constructed cheaply); its state is not touched.
	template <class Impl>
	void add(Impl &probe_instance) noexcept
	{
		static_assert(detail::check_impl_if_declared<Trait, Impl>());
		size_t sizes[kMethods] = {};
		Trait::probe(probe_instance, sizes);
		merge(sizes);
	}
	size_t method(size_t i) const noexcept { return i < kMethods ? max_[i] : 0; }
	// An inline slot of this size fits any method of any registered impl.
	size_t slot_size() const noexcept
	{
		size_t m = 0;
		for (size_t v : max_)
			m = v > m ? v : m;
		return m;
	}
	size_t impls() const noexcept { return impls_; }

private:
	void merge(const size_t (&sizes)[kMethods]) noexcept
	{
		for (size_t i = 0; i < kMethods; i++)
			if (sizes[i] > max_[i])
				max_[i] = sizes[i];
		impls_++;
	}

	size_t max_[kMethods] = {};
	size_t impls_ = 0;
};

} // namespace ds
