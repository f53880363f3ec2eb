// SPDX-License-Identifier: GPL-2.0
#include "traits/async_iterator.hpp"

#include "rt/sleep.hpp"
#include "rt/worker_hop.hpp"

namespace ds {

// Ready at once: no coroutine frame, nothing asked of @s.
Future<Next> Counter::next(Storage &s)
{
	return Future<Next>::ready_in(s, [this] {
		return cur_ >= end_ ? Next{0, true} : Next{cur_++, false};
	});
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
	DS_CO_TRY(Next n, co_await inner_->next(nested_storage(s, inner_storage_)));
	if (n.done)
		co_return n;
	co_return Next{n.value * mul_ + add_, false};
}

Future<Next> Take::next(Storage &s)
{
	if (!left_)
		co_return Next{0, true};
	DS_CO_TRY(Next n, co_await inner_->next(nested_storage(s, inner_storage_)));
	if (!n.done)
		left_--;
	co_return n;
}

Future<Next> Chain::next(Storage &s)
{
	if (!first_done_) {
		DS_CO_TRY(Next n, co_await first_->next(nested_storage(s, first_storage_)));
		if (!n.done)
			co_return n;
		first_done_ = true; // idempotent: first stays exhausted
	}
	co_return co_await second_->next(nested_storage(s, second_storage_));
}

Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &s)
{
	return sum(it, n, s, s);
}

Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &frame, Storage &items)
{
	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		// Ready-at-once items would otherwise let one call hold the
		// CPU for as long as n says: yield to the executor now and
		// then (a deadline or cancel takes effect there).
		if (i && i % kSumYieldEvery == 0)
			co_await ResumeOnWorker{};
		DS_CO_TRY(Next x, co_await it.next(items));
		if (x.done)
			break;
		total += x.value;
	}
	co_return total;
}

} // namespace ds
