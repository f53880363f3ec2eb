// SPDX-License-Identifier: GPL-2.0
// Result<T>: a value or a negative errno, the only error channel of the
// runtime (no exceptions). Result<void> carries just the errno.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "rt/platform.h"

namespace ds {

// An error code in transit; always negative (kernel style: -ENOMEM).
struct Err {
	int code;
};

// Success without a value: co_return Ok{} from a Future<void> coroutine.
struct Ok {};

template <class T>
class [[nodiscard]] Result {
	static_assert(!std::is_reference_v<T>, "Result holds values");

public:
	Result(const T &v) noexcept : err_(0) { new (&value_) T(v); }
	Result(T &&v) noexcept : err_(0) { new (&value_) T(std::move(v)); }
	Result(Err e) noexcept : err_(e.code < 0 ? e.code : -DS_EINVAL) {}
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

template <>
class [[nodiscard]] Result<void> {
public:
	Result() noexcept : err_(0) {}
	Result(Ok) noexcept : err_(0) {}
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

// Inside a coroutine returning Future<U>: evaluate @expr (usually a
// co_await yielding Result<T>); on error co_return the errno, else bind the
// value to @decl. Keeps co_await chains flat:
//   DS_CO_TRY(auto item, co_await it.next(storage));
#define DS_CO_TRY(decl, expr)                                            \
	auto DS_CONCAT(ds_try_, __LINE__) = (expr);                      \
	if (!DS_CONCAT(ds_try_, __LINE__).ok())                          \
		co_return ::ds::Err{DS_CONCAT(ds_try_, __LINE__).error()}; \
	decl = std::move(DS_CONCAT(ds_try_, __LINE__)).value()

// Same for Result<void> (nothing to bind).
#define DS_CO_TRY_VOID(expr)                                             \
	do {                                                             \
		auto ds_try_v_ = (expr);                                 \
		if (!ds_try_v_.ok())                                     \
			co_return ::ds::Err{ds_try_v_.error()};          \
	} while (0)
