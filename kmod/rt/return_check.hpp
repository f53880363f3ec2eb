// SPDX-License-Identifier: GPL-2.0
// What a Future<T> accepts as its result (co_return, Future<T>::ready,
// the body of ready_in): the kernel habit `return -EIO;` must not become
// a value. In a Future of a signed integer any bare integer could be an
// errno, so a value is written ds::Ok{v} and an error ds::Err{-EIO}; in a
// Future of an unsigned integer a signed one would wrap a negative errno
// into a huge value, so only unsigned integers pass bare. Compile time
// only: nothing of it is left in the code.
#pragma once

#include <type_traits>

#include "rt/result.hpp"

namespace ds::detail {

template <class T>
inline constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <class T, class V>
constexpr void check_result_operand() noexcept
{
	using U = std::remove_cvref_t<V>;
	if constexpr (is_int_v<T> && is_int_v<U>) {
		static_assert(!std::is_signed_v<T>,
			      "a bare integer in a Future of a signed integer reads like an errno: "
			      "write ds::Ok{v} for a value, ds::Err{-EIO} for an error");
		static_assert(!std::is_signed_v<U>,
			      "a signed integer in a Future of an unsigned integer would wrap a "
			      "negative errno: write ds::Err{-EIO} for an error, an unsigned "
			      "value (0u, size_t{n}) or ds::Ok{v} for a value");
	}
}

} // namespace ds::detail
