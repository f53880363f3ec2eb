// SPDX-License-Identifier: GPL-2.0
#include "traits/async_iterator.hpp"

#include "rt/sleep.hpp"

namespace ds {

Future<Next> Counter::next(Storage &s)
{
	if (cur_ >= end_)
		co_return Next{0, true};
	co_return Next{cur_++, false};
}

Future<Next> Ticker::next(Storage &s)
{
	if (!left_)
		co_return Next{0, true};
	co_await sleep_for(period_);
	left_--;
	co_return Next{n_++, false};
}

Future<Next> Map::next(Storage &s)
{
	DS_CO_TRY(Next n, co_await inner_->next(inner_storage_ ? *inner_storage_ : s));
	if (n.done)
		co_return n;
	co_return Next{n.value * mul_ + add_, false};
}

Future<Next> Take::next(Storage &s)
{
	if (!left_)
		co_return Next{0, true};
	DS_CO_TRY(Next n, co_await inner_->next(inner_storage_ ? *inner_storage_ : s));
	if (!n.done)
		left_--;
	co_return n;
}

Future<Next> Chain::next(Storage &s)
{
	Storage &is = inner_storage_ ? *inner_storage_ : s;
	if (!first_done_) {
		DS_CO_TRY(Next n, co_await first_->next(is));
		if (!n.done)
			co_return n;
		first_done_ = true; // idempotent: first stays exhausted
	}
	co_return co_await second_->next(is);
}

Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &s)
{
	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		DS_CO_TRY(Next x, co_await it.next(s));
		if (x.done)
			break;
		total += x.value;
	}
	co_return total;
}

} // namespace ds
