// SPDX-License-Identifier: GPL-2.0
// The call shapes of the nth-sweep. Each creates its objects and makes its
// calls through ShapeRun, which checks every outcome; values are chosen so
// every expected result is distinct (a wrong item or total cannot pass by
// coincidence) and nested items increase (SUM's retry is unambiguous).
#include <cstring>

#include "sweep_ops.h"

namespace harness {

namespace {

Spec make(uint32_t impl, uint64_t p0, uint64_t p1, std::vector<Spec> inner = {})
{
	Spec s;
	s.impl = impl;
	s.param[0] = p0;
	s.param[1] = p1;
	s.inner = std::move(inner);
	return s;
}

// COUNTER NEXT (ready at once: no frame, only the call's bookkeeping), TICKER NEXT (suspends on an hrtimer).
void flat(ShapeRun &run, uint64_t period_ns)
{
	Spec counter = make(DYNASYNC_IMPL_COUNTER, 10, 5);
	uint32_t hc = run.create(counter);
	if (!hc)
		return;
	ObjectModel mc = ObjectModel::from_spec(counter);
	if (!run.next(hc, mc))
		return;
	Spec ticker = make(DYNASYNC_IMPL_TICKER, period_ns, 3);
	uint32_t ht = run.create(ticker);
	if (!ht)
		return;
	ObjectModel mt = ObjectModel::from_spec(ticker);
	run.next(ht, mt);
}

// MAP(TAKE(MAP(COUNTER))): three adaptors deep, created inside out, each
// taking the previous handle. NEXT, then SUM(3): every adaptor level's
// frame is allocated per item (the counter's NEXT is ready at once and
// makes none).
void nested(ShapeRun &run)
{
	Spec counter = make(DYNASYNC_IMPL_COUNTER, 5, 100);
	Spec map1 = make(DYNASYNC_IMPL_MAP, 3, 1, { counter });
	Spec take = make(DYNASYNC_IMPL_TAKE, 50, 0, { map1 });
	Spec map2 = make(DYNASYNC_IMPL_MAP, 2, 7, { take });
	uint32_t h = run.create(counter);
	for (const Spec *s : { &map1, &take, &map2 }) {
		if (!h)
			return;
		h = run.create(*s, h);
	}
	if (!h)
		return;
	ObjectModel m = ObjectModel::from_spec(map2);
	if (!run.next(h, m))
		return;
	run.sum(h, m, 3);
}

// GADGET: AUGMENT once, then TRANSMIT (consumes the widget).
void consuming(ShapeRun &run)
{
	Spec gadget = make(DYNASYNC_IMPL_GADGET, 1000, 0);
	uint32_t h = run.create(gadget);
	if (!h)
		return;
	ObjectModel m = ObjectModel::from_spec(gadget);
	if (!run.augment(h, m, DYNASYNC_COMPONENT_BOLT, 5))
		return;
	run.transmit(h, m);
}

// GADGET: AUGMENT with a BOLT (weight = size) and with a GEAR (3 * size
// + 1): one dyn method, two argument types adapted to it.
void adapt(ShapeRun &run)
{
	Spec gadget = make(DYNASYNC_IMPL_GADGET, 100, 0);
	uint32_t h = run.create(gadget);
	if (!h)
		return;
	ObjectModel m = ObjectModel::from_spec(gadget);
	if (!run.augment(h, m, DYNASYNC_COMPONENT_BOLT, 7))
		return;
	run.augment(h, m, DYNASYNC_COMPONENT_GEAR, 4);
}

// GADGET: AUGMENT, COMPONENTS (a new iterator object over 0 .. 0), then
// NEXT on it twice: its item, then its end.
void impl_trait(ShapeRun &run)
{
	Spec gadget = make(DYNASYNC_IMPL_GADGET, 0, 0);
	uint32_t h = run.create(gadget);
	if (!h)
		return;
	ObjectModel m = ObjectModel::from_spec(gadget);
	if (!run.augment(h, m, DYNASYNC_COMPONENT_GEAR, 2))
		return;
	ObjectModel items;
	uint32_t hi = run.components(h, m, items);
	if (!hi)
		return;
	if (!run.next(hi, items))
		return;
	run.next(hi, items);
}

const char *const kShapeNames[] = { "flat", "nested", "consuming", "adapt", "impl-trait" };

} // namespace

const char *shape_name(Shape s)
{
	return kShapeNames[static_cast<int>(s)];
}

bool parse_shape(const std::string &name, Shape &out)
{
	for (Shape s : kAllShapes) {
		if (name == shape_name(s) || (s == Shape::kImplTrait && name == "impl_trait")) {
			out = s;
			return true;
		}
	}
	return false;
}

void run_shape(Shape shape, ShapeRun &run, uint64_t ticker_period_ns)
{
	switch (shape) {
	case Shape::kFlat:
		flat(run, ticker_period_ns);
		break;
	case Shape::kNested:
		nested(run);
		break;
	case Shape::kConsuming:
		consuming(run);
		break;
	case Shape::kAdapt:
		adapt(run);
		break;
	case Shape::kImplTrait:
		impl_trait(run);
		break;
	}
}

} // namespace harness
