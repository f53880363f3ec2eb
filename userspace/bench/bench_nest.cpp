// SPDX-License-Identifier: GPL-2.0
// Nesting: a chain of depth d of the runtime's own adaptors, d - 1 Maps
// over a Counter, each level a dyn call (through the inner object's
// vtable) awaited by the level above, every frame in the caller's
// storage: all on one task stack, or each boxed. ns per top-level call.
#include <memory>
#include <vector>

#include "common.hpp"
#include "driver.hpp"
#include "kit.hpp"

namespace bench {
namespace {

void bm_nest(benchmark::State &st, ds::Strategy which)
{
	const int depth = static_cast<int>(st.range(0));
	Kit kit;
	if (kit.init(which, 0)) {
		st.SkipWithError("storage setup failed");
		return;
	}
	ds::Counter leaf(0, uint64_t{1} << 62);
	std::vector<std::unique_ptr<ds::Map>> maps;
	ds::AsyncIterator *top = &leaf;
	for (int d = 1; d < depth; d++) {
		maps.push_back(std::make_unique<ds::Map>(top, 1, 0));
		top = maps.back().get();
	}
	ds::Storage *s = &kit.storage();
	{
		BatchRunner r([top, s] { return top->next(*s); });
		run_batches(st, r);
	}
	st.counters["depth"] = depth;
	if (which == ds::Strategy::TaskStack)
		st.counters["stack_B"] = static_cast<double>(kit.stack().high_water());
}

} // namespace

void register_nesting()
{
	for (ds::Strategy s : {ds::Strategy::TaskStack, ds::Strategy::Boxed})
		benchmark::RegisterBenchmark(name("nest/", s).c_str(), bm_nest, s)
			->DenseRange(1, 8);
}

} // namespace bench
