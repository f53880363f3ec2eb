// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync tracepoints (kmod/dynasync_trace.h): off by default; once
 * enabled, a ready call shows start -> complete, a suspending call start
 * -> (suspend -> resume)+ -> complete, a call cut by its deadline start
 * -> suspend -> resume(cancel) -> complete(-ETIMEDOUT), an injected
 * allocation failure its own event (site, nth, errno) between its call's
 * start and completion, each event with the call's id, user_data, handle,
 * method, strategy and frame bytes. The events go to a tracefs instance
 * of the test's own (its buffer, clock and enable switches), so the
 * global trace is left alone; SKIP where the kernel has no tracefs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dynasync_util.h"

#define MS(x)		((__u64)(x) * NSEC_PER_MSEC)
#define INSTANCE	"dynasync_selftest"
#define MAX_EVENTS	512
#define TRACE_BYTES	(1 << 20)

struct ev {
	char name[32];		/* after "dynasync_" */
	char fields[320];	/* "key=value key=value ..." */
};

/* The tracefs mount, mounted here if it is not yet (the VM's /init mounts it). */
static const char *tracefs_root(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/events", roots[i]);
		if (!access(p, F_OK))
			return roots[i];
	}
	if (!mount("tracefs", roots[0], "tracefs", 0, NULL))
		return roots[0];
	return NULL;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* A 0/1 option file's value, or -errno. */
static int read_flag(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	if (n != 1)
		return -EIO;
	return c == '1';
}

struct tr {
	struct ds ds;
	bool cmd_was_on;	/* options/record-cmd was 1: set back at teardown */
	char root[64];		/* the tracefs root */
	char dir[128];		/* our instance */
	char *text;
	struct ev ev[MAX_EVENTS];
	int n;
};

FIXTURE(trace) {
	struct tr t;
};

static void path_of(char *out, const char *dir, const char *file)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, file);
}

static int inst_write(struct tr *self, const char *file, const char *s)
{
	char p[PATH_MAX];

	path_of(p, self->dir, file);
	return write_str(p, s);
}

static int set_enabled(struct tr *self, bool on)
{
	return inst_write(self, "events/dynasync/enable", on ? "1" : "0");
}

/* Empties the instance's buffer. */
static int clear(struct tr *self)
{
	return inst_write(self, "trace", "");
}

/*
 * Reads the instance's trace (merged over CPUs in timestamp order, the
 * global clock) into self->ev: one entry per dynasync event, in order.
 */
static int collect(struct tr *self)
{
	char p[PATH_MAX];
	size_t got = 0;
	char *line, *save;
	ssize_t r;
	int fd;

	path_of(p, self->dir, "trace");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < TRACE_BYTES - 1 &&
	       (r = read(fd, self->text + got, TRACE_BYTES - 1 - got)) > 0)
		got += r;
	close(fd);
	self->text[got] = '\0';
	self->n = 0;
	for (line = strtok_r(self->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *e = strstr(line, ": dynasync_");
		char *colon;
		struct ev *v;

		if (line[0] == '#' || !e)
			continue;
		e += strlen(": dynasync_");
		colon = strchr(e, ':');
		if (!colon || self->n == MAX_EVENTS)
			continue;
		v = &self->ev[self->n++];
		snprintf(v->name, sizeof(v->name), "%.*s", (int)(colon - e), e);
		snprintf(v->fields, sizeof(v->fields), "%s", colon + 1);
	}
	return self->n;
}

/* The value of @key in @v (a string), or NULL. */
static const char *field(const struct ev *v, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	const char *s = v->fields;

	while ((s = strstr(s, key))) {
		if ((s == v->fields || s[-1] == ' ') && s[kl] == '=') {
			size_t n = strcspn(s + kl + 1, " ");

			snprintf(buf, len, "%.*s", (int)n, s + kl + 1);
			return buf;
		}
		s += kl;
	}
	return NULL;
}

static long long num(const struct ev *v, const char *key)
{
	char buf[64];

	if (!field(v, key, buf, sizeof(buf)))
		return LLONG_MIN;
	return strtoll(buf, NULL, 0);
}

static bool is(const struct ev *v, const char *key, const char *want)
{
	char buf[64];

	return field(v, key, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* The index of the call_start event whose @key is @value, or -1. */
static int find_start(struct tr *self, const char *key, long long value)
{
	int i;

	for (i = 0; i < self->n; i++)
		if (!strcmp(self->ev[i].name, "call_start") &&
		    num(&self->ev[i], key) == value)
			return i;
	return -1;
}

/* Indexes (in order) of the call events carrying @id; how many. */
static int events_of(struct tr *self, long long id, int *out, int max)
{
	int i, k = 0;

	for (i = 0; i < self->n && k < max; i++)
		if (!strncmp(self->ev[i].name, "call_", 5) && num(&self->ev[i], "id") == id)
			out[k++] = i;
	return k;
}

static void dump(struct __test_metadata *_metadata, struct tr *self)
{
	int i;

	for (i = 0; i < self->n; i++)
		TH_LOG("event %d: %s:%s", i, self->ev[i].name, self->ev[i].fields);
}

/* One call through the ring with user_data @ud: the CQE's res. */
static int call_ud(struct __test_metadata *_metadata, struct ds *ds,
		   const struct dynasync_call *c, __u64 ud)
{
	struct ds_cqe cqe;
	int ret = ds_submit_call(&ds->ring, ds->fd, c, ud);

	if (ret)
		return ret;
	ret = ds_wait_cqe(&ds->ring, &cqe, DS_WAIT_MS);
	if (ret)
		return ret;
	EXPECT_EQ(ud, cqe.ud);
	return cqe.res;
}

FIXTURE_SETUP(trace)
{
	struct tr *tr = &self->t;
	const char *root;
	char p[PATH_MAX];

	tr->text = NULL;
	tr->dir[0] = '\0';
	tr->cmd_was_on = false;
	ASSERT_EQ(0, ds_open(&tr->ds, true, true));
	root = tracefs_root();
	if (!root)
		SKIP(return, "no tracefs (kernel without CONFIG_TRACING?)");
	snprintf(tr->root, sizeof(tr->root), "%s", root);
	snprintf(p, sizeof(p), "%s/events/dynasync", root);
	if (access(p, F_OK))
		SKIP(return, "no dynasync events in %s", root);
	/*
	 * No comm recording (a top-level option an instance copies when it
	 * is made): enabling an event would otherwise hook the scheduler's
	 * sched_switch/sched_wakeup tracepoints too, patching the wakeup
	 * path's jump labels while the other vCPU runs it; under TCG that
	 * once left a stale int3 (an Oops in ttwu_do_activate on 6.12). The
	 * events' own fields are what the tests read. Restored at teardown.
	 */
	snprintf(p, sizeof(p), "%s/options/record-cmd", root);
	tr->cmd_was_on = read_flag(p) == 1;
	if (tr->cmd_was_on)
		EXPECT_EQ(0, write_str(p, "0"));
	snprintf(tr->dir, sizeof(tr->dir), "%s/instances/" INSTANCE, root);
	if (mkdir(tr->dir, 0700) && errno != EEXIST) {
		int err = errno;

		tr->dir[0] = '\0';
		SKIP(return, "no tracefs instances: %s", strerror(err));
	}
	tr->text = malloc(TRACE_BYTES);
	ASSERT_NE(NULL, tr->text);
	/* Orders events of different CPUs (suspend here, resume on a kworker). */
	EXPECT_EQ(0, inst_write(tr, "trace_clock", "global"));
	ASSERT_EQ(0, set_enabled(tr, true));
	ASSERT_EQ(0, clear(tr));
}

FIXTURE_TEARDOWN(trace)
{
	struct tr *tr = &self->t;

	if (tr->dir[0]) {
		EXPECT_EQ(0, set_enabled(tr, false));
		EXPECT_EQ(0, rmdir(tr->dir)) {
			TH_LOG("rmdir %s: %s", tr->dir, strerror(errno));
		}
	}
	if (tr->cmd_was_on) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/options/record-cmd", tr->root);
		EXPECT_EQ(0, write_str(p, "1"));
	}
	free(tr->text);
	ds_teardown(_metadata, &tr->ds);
}

/* Every event exists and the module's default is off (this instance's aside). */
TEST_F(trace, events_exist_and_are_off_by_default)
{
	struct tr *tr = &self->t;
	static const char *const names[] = {
		"dynasync_call_start", "dynasync_call_suspend", "dynasync_call_resume",
		"dynasync_call_complete", "dynasync_fault_inject",
	};
	char p[PATH_MAX], buf[16];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/events/dynasync/%s/format", tr->root, names[i]);
		EXPECT_EQ(0, access(p, R_OK)) {
			TH_LOG("missing %s", p);
		}
	}
	snprintf(p, sizeof(p), "%s/events/dynasync/enable", tr->root);
	ASSERT_LT(0, ds_read_text(p, buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf) {
		TH_LOG("the global dynasync events are enabled: %s", buf);
	}
}

/* Ready at once: start -> complete, on both paths, with every field. */
TEST_F(trace, ready_call_is_start_then_complete)
{
	struct tr *tr = &self->t;
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_INLINE);
	struct dynasync_call_out out;
	struct dynasync_call c;
	long long frame, id_u, id_i;
	int h, s, k, idx[8];

	h = create_counter(&tr->ds, &st, 40, 5);
	ASSERT_LT(0, h);
	frame = ds_layout(tr->ds.fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			  DYNASYNC_METHOD_NEXT, NULL);
	ASSERT_LE(0, frame);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	ASSERT_EQ(1, call_ud(_metadata, &tr->ds, &c, 0x1001));
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &out);
	ASSERT_EQ(1, call_ioctl(&tr->ds, &c));
	ASSERT_EQ(41, out.value);
	ASSERT_LT(0, collect(tr));

	s = find_start(tr, "user_data", 0x1001);
	ASSERT_LE(0, s) dump(_metadata, tr);
	id_u = num(&tr->ev[s], "id");
	EXPECT_LT(0, id_u);
	EXPECT_EQ(h, num(&tr->ev[s], "handle"));
	EXPECT_TRUE(is(&tr->ev[s], "method", "next"));
	EXPECT_TRUE(is(&tr->ev[s], "strategy", "inline"));
	EXPECT_TRUE(is(&tr->ev[s], "path", "uring"));
	EXPECT_EQ(frame, num(&tr->ev[s], "frame_bytes"));
	k = events_of(tr, id_u, idx, 8);
	ASSERT_EQ(2, k) dump(_metadata, tr);
	EXPECT_STREQ("call_start", tr->ev[idx[0]].name);
	EXPECT_STREQ("call_complete", tr->ev[idx[1]].name);
	EXPECT_EQ(1, num(&tr->ev[idx[1]], "res"));
	EXPECT_EQ(0, num(&tr->ev[idx[1]], "errno"));
	EXPECT_EQ(40, num(&tr->ev[idx[1]], "value"));
	EXPECT_EQ(0x1001, num(&tr->ev[idx[1]], "user_data"));
	EXPECT_EQ(h, num(&tr->ev[idx[1]], "handle"));
	EXPECT_TRUE(is(&tr->ev[idx[1]], "strategy", "inline"));

	/* The ioctl: user_data 0, its own id, after the first call. */
	for (s = idx[1] + 1; s < tr->n; s++)
		if (!strcmp(tr->ev[s].name, "call_start"))
			break;
	ASSERT_LT(s, tr->n) dump(_metadata, tr);
	EXPECT_TRUE(is(&tr->ev[s], "path", "ioctl"));
	EXPECT_EQ(0, num(&tr->ev[s], "user_data"));
	id_i = num(&tr->ev[s], "id");
	EXPECT_LT(id_u, id_i);
	k = events_of(tr, id_i, idx, 8);
	ASSERT_EQ(2, k) dump(_metadata, tr);
	EXPECT_STREQ("call_start", tr->ev[idx[0]].name);
	EXPECT_STREQ("call_complete", tr->ev[idx[1]].name);
	EXPECT_EQ(41, num(&tr->ev[idx[1]], "value"));
}

/* A ticker's NEXT sleeps: start -> (suspend -> resume)+ -> complete. */
TEST_F(trace, suspending_call_is_start_suspend_resume_complete)
{
	struct tr *tr = &self->t;
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call c;
	int h, s, i, k, idx[64];
	long long id;

	h = create_ticker(&tr->ds, &st, MS(2), 3);
	ASSERT_LT(0, h);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	ASSERT_EQ(1, call_ud(_metadata, &tr->ds, &c, 0x2002));
	ASSERT_LT(0, collect(tr));

	s = find_start(tr, "user_data", 0x2002);
	ASSERT_LE(0, s) dump(_metadata, tr);
	id = num(&tr->ev[s], "id");
	EXPECT_TRUE(is(&tr->ev[s], "strategy", "boxed"));
	EXPECT_EQ(ds_layout(tr->ds.fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_TICKER,
			    DYNASYNC_METHOD_NEXT, NULL),
		  num(&tr->ev[s], "frame_bytes"));
	k = events_of(tr, id, idx, 64);
	ASSERT_LE(4, k) dump(_metadata, tr);
	ASSERT_EQ(0, k % 2) dump(_metadata, tr);
	EXPECT_STREQ("call_start", tr->ev[idx[0]].name);
	for (i = 1; i < k - 1; i += 2) {
		EXPECT_STREQ("call_suspend", tr->ev[idx[i]].name) dump(_metadata, tr);
		EXPECT_STREQ("call_resume", tr->ev[idx[i + 1]].name) dump(_metadata, tr);
		EXPECT_EQ(0, num(&tr->ev[idx[i + 1]], "cancel"));
		EXPECT_EQ(0x2002, num(&tr->ev[idx[i]], "user_data"));
		EXPECT_EQ(h, num(&tr->ev[idx[i]], "handle"));
		EXPECT_TRUE(is(&tr->ev[idx[i]], "method", "next"));
		EXPECT_TRUE(is(&tr->ev[idx[i + 1]], "strategy", "boxed"));
	}
	EXPECT_STREQ("call_complete", tr->ev[idx[k - 1]].name);
	EXPECT_EQ(1, num(&tr->ev[idx[k - 1]], "res"));
	EXPECT_EQ(0, num(&tr->ev[idx[k - 1]], "value"));
	/* For the log: what a user sees. */
	for (i = 0; i < k; i++)
		TH_LOG("%s:%s", tr->ev[idx[i]].name, tr->ev[idx[i]].fields);
}

/* Cut by its deadline while asleep: the worker cancels it. */
TEST_F(trace, timed_out_call_is_resumed_as_cancelled)
{
	struct tr *tr = &self->t;
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call c;
	int h, s, k, idx[8];
	long long id;

	h = create_ticker(&tr->ds, &st, MS(900), 3);
	ASSERT_LT(0, h);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	c.deadline_ns = MS(20);
	ASSERT_EQ(-ETIMEDOUT, call_ud(_metadata, &tr->ds, &c, 0x3003));
	ASSERT_LT(0, collect(tr));

	s = find_start(tr, "user_data", 0x3003);
	ASSERT_LE(0, s) dump(_metadata, tr);
	id = num(&tr->ev[s], "id");
	k = events_of(tr, id, idx, 8);
	ASSERT_EQ(4, k) dump(_metadata, tr);
	EXPECT_STREQ("call_start", tr->ev[idx[0]].name);
	EXPECT_STREQ("call_suspend", tr->ev[idx[1]].name);
	EXPECT_STREQ("call_resume", tr->ev[idx[2]].name);
	EXPECT_EQ(1, num(&tr->ev[idx[2]], "cancel"));
	EXPECT_STREQ("call_complete", tr->ev[idx[3]].name);
	EXPECT_EQ(-ETIMEDOUT, num(&tr->ev[idx[3]], "res"));
	EXPECT_EQ(ETIMEDOUT, num(&tr->ev[idx[3]], "errno"));
}

/*
 * An injected frame failure: its event (site, nth, errno, the object's
 * strategy and method) between the call's start and its completion,
 * which carries -ENOMEM and injected=1.
 */
TEST_F(trace, injected_failure_has_its_event_and_errno)
{
	struct tr *tr = &self->t;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_fault_policy p;
	struct dynasync_call c;
	int cnt, h, s, f, k, idx[8];
	long long id;

	/* A MAP's NEXT is a coroutine: it places a frame (the counter's does not). */
	cnt = create_counter(&tr->ds, &bx, 7, 3);
	ASSERT_LT(0, cnt);
	h = create_map(&tr->ds, &bx, cnt, 1, 0);
	ASSERT_LT(0, h);
	memset(&p, 0, sizeof(p));
	p.mode = DYNASYNC_FAULT_NTH;
	p.nth = 1;
	p.sites = 1U << DYNASYNC_SITE_FRAME;
	p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	ASSERT_EQ(0, ds_fault_set(tr->ds.fd, &p));
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	EXPECT_EQ(-ENOMEM, call_ud(_metadata, &tr->ds, &c, 0x4004));
	ASSERT_EQ(0, ds_fault_off(tr->ds.fd, true));
	/* Nothing moved: the next call yields the first item. */
	ASSERT_EQ(1, call_ud(_metadata, &tr->ds, &c, 0x4005));
	ASSERT_LT(0, collect(tr));

	s = find_start(tr, "user_data", 0x4004);
	ASSERT_LE(0, s) dump(_metadata, tr);
	id = num(&tr->ev[s], "id");
	k = events_of(tr, id, idx, 8);
	ASSERT_EQ(2, k) dump(_metadata, tr);
	EXPECT_STREQ("call_complete", tr->ev[idx[1]].name);
	EXPECT_EQ(-ENOMEM, num(&tr->ev[idx[1]], "res"));
	EXPECT_EQ(ENOMEM, num(&tr->ev[idx[1]], "errno"));
	EXPECT_EQ(1, num(&tr->ev[idx[1]], "injected"));
	for (f = idx[0] + 1; f < idx[1]; f++)
		if (!strcmp(tr->ev[f].name, "fault_inject"))
			break;
	ASSERT_LT(f, idx[1]) dump(_metadata, tr);
	EXPECT_TRUE(is(&tr->ev[f], "site", "frame"));
	EXPECT_EQ(1, num(&tr->ev[f], "nth"));
	EXPECT_EQ(ENOMEM, num(&tr->ev[f], "errno"));
	EXPECT_TRUE(is(&tr->ev[f], "policy", "file"));
	EXPECT_TRUE(is(&tr->ev[f], "strategy", "boxed"));
	EXPECT_TRUE(is(&tr->ev[f], "method", "next"));
	EXPECT_LT(0, num(&tr->ev[f], "size"));
	/* Exactly one injection in the whole trace. */
	for (k = 0, f = 0; f < tr->n; f++)
		k += !strcmp(tr->ev[f].name, "fault_inject");
	EXPECT_EQ(1, k);
	s = find_start(tr, "user_data", 0x4005);
	ASSERT_LE(0, s) dump(_metadata, tr);
	k = events_of(tr, num(&tr->ev[s], "id"), idx, 8);
	ASSERT_EQ(2, k);
	EXPECT_EQ(7, num(&tr->ev[idx[1]], "value"));
}

/* Disabled again: calls leave nothing in the buffer. */
TEST_F(trace, disabled_events_record_nothing)
{
	struct tr *tr = &self->t;
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call c;
	int h, t;

	h = create_counter(&tr->ds, &st, 1, 3);
	t = create_ticker(&tr->ds, &st, MS(1), 3);
	ASSERT_LT(0, h);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, set_enabled(tr, false));
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	ASSERT_EQ(1, call_ud(_metadata, &tr->ds, &c, 0x5005));
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	ASSERT_EQ(1, call_ud(_metadata, &tr->ds, &c, 0x5006));
	EXPECT_EQ(0, collect(tr)) dump(_metadata, tr);
}

TEST_HARNESS_MAIN
