// SPDX-License-Identifier: GPL-2.0
// Result<T>: a value or a negative errno, the only error channel of the
// runtime (no exceptions). Result<void> carries just the errno.
#pragma once

#include <coroutine>
#include <new>
#include <type_traits>
#include <utility>

#include "rt/platform.h"

namespace ds {

// An error code in transit; always negative (kernel style: -ENOMEM).
struct Err {
	int code;

	// DS_CO_FAIL's `co_await ds::Err{e}`: in a Future<T> it is ready at
	// once and yields itself to co_return (Future<void> transforms it,
	// see PromiseResult<void> in rt/future.hpp).
	bool await_ready() const noexcept { return true; }
	void await_suspend(std::coroutine_handle<>) const noexcept {}
	Err await_resume() const noexcept { return *this; }
};

// A value, said so: co_return ds::Ok{v}. Required where a bare integer
// could be read as an errno (a Future of a signed integer, see
// rt/return_check.hpp); Ok{} alone is success without a value.
template <class T = void>
struct Ok {
	T value;
};
template <>
struct Ok<void> {};
template <class T>
Ok(T) -> Ok<T>;

// GCC cannot see that value_ is read only when err_ says it was written
// (it warns in callers' coroutines at -O1 and above): the checks are
// exact, so the warning is silenced for this class, not for its users.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

template <class T>
class [[nodiscard]] Result {
	static_assert(!std::is_reference_v<T>, "Result holds values");

public:
	Result(const T &v) noexcept : err_(0) { new (&value_) T(v); }
	Result(T &&v) noexcept : err_(0) { new (&value_) T(std::move(v)); }
	Result(Err e) noexcept : err_(e.code < 0 ? e.code : -DS_EINVAL) {}
	template <class U>
	Result(Ok<U> o) noexcept : Result(T(std::move(o.value))) {}
	Result(Result &&o) noexcept : err_(o.err_)
	{
		if (!err_)
			new (&value_) T(std::move(o.value_));
	}
	Result(const Result &o) noexcept : err_(o.err_)
	{
		if (!err_)
			new (&value_) T(o.value_);
	}
	Result &operator=(Result &&o) noexcept
	{
		if (this != &o) {
			this->~Result();
			new (this) Result(std::move(o));
		}
		return *this;
	}
	Result &operator=(const Result &o) noexcept
	{
		if (this != &o) {
			this->~Result();
			new (this) Result(o);
		}
		return *this;
	}
	~Result()
	{
		if (!err_)
			value_.~T();
	}

	bool ok() const noexcept { return err_ == 0; }
	explicit operator bool() const noexcept { return ok(); }
	// 0 on success, else the negative errno.
	int error() const noexcept { return err_; }
	T &value() & noexcept { return value_; }
	const T &value() const & noexcept { return value_; }
	T &&value() && noexcept { return std::move(value_); }
	T &operator*() & noexcept { return value_; }
	T &&operator*() && noexcept { return std::move(value_); }
	T *operator->() noexcept { return &value_; }

private:
	int err_;
	union {
		T value_;
	};
};

#pragma GCC diagnostic pop

template <>
class [[nodiscard]] Result<void> {
public:
	Result() noexcept : err_(0) {}
	Result(Ok<>) noexcept : err_(0) {}
	Result(Err e) noexcept : err_(e.code < 0 ? e.code : -DS_EINVAL) {}
	bool ok() const noexcept { return err_ == 0; }
	explicit operator bool() const noexcept { return ok(); }
	int error() const noexcept { return err_; }

private:
	int err_;
};

} // namespace ds

#define DS_CONCAT_(a, b) a##b
#define DS_CONCAT(a, b) DS_CONCAT_(a, b)

// Ends any Future<U> coroutine with the errno @err, Future<void>
// included: C++ forbids a promise with both return_void (for `co_return;`)
// and return_value, so the error exit of a void coroutine cannot be
// `co_return ds::Err{..}`; the promise's await_transform(Err) makes this
// one spelling work for every U (see rt/future.hpp).
#define DS_CO_FAIL(err) co_return co_await ::ds::Err{err}

// Inside a coroutine returning Future<U> (any U, void too): evaluate
// @expr (usually a co_await yielding Result<T>); on error end with the
// errno, else bind the value to @decl. Keeps co_await chains flat:
//   DS_CO_TRY(auto item, co_await it.next(storage));
#define DS_CO_TRY(decl, expr)                                            \
	auto DS_CONCAT(ds_try_, __LINE__) = (expr);                      \
	if (!DS_CONCAT(ds_try_, __LINE__).ok())                          \
		DS_CO_FAIL(DS_CONCAT(ds_try_, __LINE__).error());          \
	decl = std::move(DS_CONCAT(ds_try_, __LINE__)).value()

// Same for Result<void> (nothing to bind).
#define DS_CO_TRY_VOID(expr)                                             \
	do {                                                             \
		auto ds_try_v_ = (expr);                                 \
		if (!ds_try_v_.ok())                                     \
			DS_CO_FAIL(ds_try_v_.error());                   \
	} while (0)
