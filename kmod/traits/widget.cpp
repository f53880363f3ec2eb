// SPDX-License-Identifier: GPL-2.0
#include "traits/widget.hpp"

#include "rt/worker_hop.hpp"

namespace ds {

// Ready at once: no coroutine frame, nothing asked of @s.
Future<uint64_t> Gadget::augment_dyn(ComponentRef c, Storage &s)
{
	return Future<uint64_t>::ready_in(s, [&] {
		total_ += c.weight();
		count_++;
		return total_;
	});
}

Result<DynBox<AsyncIterator>> Gadget::components(Storage &s)
{
	return make_in<Counter, AsyncIterator>(s, uint64_t{0}, count_);
}

Future<uint64_t> Gadget::transmit(Consume<Widget> self, Sink &sink, Storage &s)
{
	// From here the frame owns the widget; it is freed when the body ends.
	DynBox<Widget> me = self.take();
	co_await ResumeOnWorker{};
	sink.deliver(total_);
	co_return total_;
}

} // namespace ds
