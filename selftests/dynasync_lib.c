// SPDX-License-Identifier: GPL-2.0
/*
 * The dynasync selftests' helper library: see dynasync_lib.h. Built once
 * (selftests/Makefile) and linked into every test program; it never
 * includes kselftest_harness.h, whose definitions may exist in one
 * object of a program only.
 */
#define _GNU_SOURCE
#include "dynasync_lib.h"

int ds_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

__u64 ds_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void ds_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * (long)NSEC_PER_MSEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void *ds_unmapped_page(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page);
	return p;
}

void *ds_readonly_copy(const void *src, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, page, PROT_READ)) {
		munmap(p, page);
		return NULL;
	}
	return p;
}

struct dynasync_storage ds_storage(__u32 strategy)
{
	struct dynasync_storage s;

	memset(&s, 0, sizeof(s));
	s.strategy = strategy;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		s.task_stack_size = 16384;
	else if (strategy == DYNASYNC_STRATEGY_RESERVE)
		s.reserve_frames = 4;
	return s;
}

struct dynasync_storage ds_inline_slot(__u32 slot)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_INLINE);

	st.slot_size = slot;
	return st;
}

struct dynasync_storage ds_task_stack(__u32 size)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_TASK_STACK);

	st.task_stack_size = size;
	return st;
}

__u32 ds_version_flags(void)
{
	struct dynasync_version v;
	int fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	memset(&v, 0, sizeof(v));
	if (ds_ioctl(fd, DYNASYNC_IOC_VERSION, &v))
		v.flags = 0;
	close(fd);
	return v.flags;
}

bool ds_uring_cancel(void)
{
	return ds_version_flags() & DYNASYNC_VERSION_F_URING_CANCEL;
}

void ds_track(struct ds *ds, __u32 h)
{
	if (ds->nh < DS_MAX_TRACKED)
		ds->h[ds->nh++] = h;
}

void ds_untrack(struct ds *ds, __u32 h)
{
	int i;

	for (i = 0; i < ds->nh; i++) {
		if (ds->h[i] == h) {
			ds->h[i] = ds->h[--ds->nh];
			return;
		}
	}
}

int ds_open(struct ds *ds, bool uring, bool ring)
{
	int ret;

	memset(ds, 0, sizeof(*ds));
	ds->fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ds->fd < 0)
		return -errno;
	ds->uring = uring;
	ds->next_ud = 1;
	if (uring || ring) {
		ret = io_uring_queue_init(DS_RING_ENTRIES, &ds->ring,
					  IORING_SETUP_SQE128);
		if (ret)
			return ret;
		ds->ring_up = true;
	}
	return 0;
}

void ds_create_req(struct dynasync_create *c, __u32 trait,
		   __u32 impl, __u32 in0, __u32 in1, __u64 p0,
		   __u64 p1, const struct dynasync_storage *st)
{
	memset(c, 0, sizeof(*c));
	c->trait = trait;
	c->impl = impl;
	c->inner[0] = in0;
	c->inner[1] = in1;
	c->param[0] = p0;
	c->param[1] = p1;
	c->storage = *st;
}

int ds_create_full(struct ds *ds, struct dynasync_create *c)
{
	int ret = ds_ioctl(ds->fd, DYNASYNC_IOC_CREATE, c);

	if (ret)
		return ret;
	if (c->inner[0])
		ds_untrack(ds, c->inner[0]);
	if (c->inner[1])
		ds_untrack(ds, c->inner[1]);
	ds_track(ds, c->handle);
	return (int)c->handle;
}

int ds_create(struct ds *ds, __u32 trait, __u32 impl, __u32 in0,
	      __u32 in1, __u64 p0, __u64 p1,
	      const struct dynasync_storage *st)
{
	struct dynasync_create c;

	ds_create_req(&c, trait, impl, in0, in1, p0, p1, st);
	return ds_create_full(ds, &c);
}

int create_counter(struct ds *ds,
		   const struct dynasync_storage *st,
		   __u64 start, __u64 count)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			 0, 0, start, count, st);
}

int create_ticker(struct ds *ds,
		  const struct dynasync_storage *st,
		  __u64 period_ns, __u64 count)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_TICKER,
			 0, 0, period_ns, count, st);
}

int create_map(struct ds *ds, const struct dynasync_storage *st,
	       __u32 inner, __u64 mul, __u64 add)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
			 inner, 0, mul, add, st);
}

int create_take(struct ds *ds, const struct dynasync_storage *st,
		__u32 inner, __u64 limit)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_TAKE,
			 inner, 0, limit, 0, st);
}

int create_chain(struct ds *ds, const struct dynasync_storage *st,
		 __u32 first, __u32 second)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_CHAIN,
			 first, second, 0, 0, st);
}

int create_gadget(struct ds *ds,
		  const struct dynasync_storage *st, __u64 base)
{
	return ds_create(ds, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET,
			 0, 0, base, 0, st);
}

int ds_destroy(struct ds *ds, __u32 h)
{
	struct dynasync_destroy d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.handle = h;
	ret = ds_ioctl(ds->fd, DYNASYNC_IOC_DESTROY, &d);
	if (!ret)
		ds_untrack(ds, h);
	return ret;
}

int ds_stats(int fd, struct dynasync_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ds_ioctl(fd, DYNASYNC_IOC_STATS, st);
}

long long ds_layout(int fd, __u32 trait, __u32 impl,
		    __u32 method, __u64 *slot)
{
	struct dynasync_layout l;
	int ret;

	memset(&l, 0, sizeof(l));
	l.trait = trait;
	l.impl = impl;
	l.method = method;
	ret = ds_ioctl(fd, DYNASYNC_IOC_LAYOUT, &l);
	if (ret)
		return ret;
	if (slot)
		*slot = l.slot_size;
	return (long long)l.frame_size;
}

struct dynasync_call ds_mkcall(__u32 h, __u32 method, __u64 a0,
			       __u64 a1,
			       struct dynasync_call_out *out)
{
	struct dynasync_call c;

	memset(&c, 0, sizeof(c));
	c.handle = h;
	c.method = method;
	c.arg[0] = a0;
	c.arg[1] = a1;
	c.out_ptr = (__u64)(uintptr_t)out;
	if (out)
		memset(out, DS_POISON, sizeof(*out));
	return c;
}

int ds_prep_cmd(struct io_uring *ring, int fd, __u32 cmd_op,
		const struct dynasync_call *c, size_t cmd_bytes,
		__u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	size_t sqe_size = (ring->flags & IORING_SETUP_SQE128) ? 128 : 64;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, sqe_size);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	/* sqe->cmd: 16 bytes, 80 on a SQE128 ring. */
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), c, cmd_bytes);
	io_uring_sqe_set_data64(sqe, ud);
	return 0;
}

int ds_prep_call(struct io_uring *ring, int fd,
		 const struct dynasync_call *c, __u64 ud)
{
	return ds_prep_cmd(ring, fd, DYNASYNC_IOC_CALL, c, sizeof(*c), ud);
}

int ds_submit_call(struct io_uring *ring, int fd,
		   const struct dynasync_call *c, __u64 ud)
{
	int ret = ds_prep_call(ring, fd, c, ud);

	if (ret)
		return ret;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EIO;
}

int ds_wait_cqe(struct io_uring *ring, struct ds_cqe *out,
		unsigned int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long long)(ms % 1000) * NSEC_PER_MSEC,
	};
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	out->ud = cqe->user_data;
	out->res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

bool ds_ring_idle(struct io_uring *ring, unsigned int ms)
{
	struct ds_cqe c;
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(ring, &cqe) != -EAGAIN)
		return false;
	return ms == 0 || ds_wait_cqe(ring, &c, ms) == -ETIME;
}

int call_ioctl(struct ds *ds, const struct dynasync_call *c)
{
	return ds_ioctl(ds->fd, DYNASYNC_IOC_CALL, (void *)c);
}

void *ds_async_thread(void *arg)
{
	struct ds_async *a = arg;

	a->res = ds_ioctl(a->fd, DYNASYNC_IOC_CALL, &a->call);
	return NULL;
}

int ds_wait_inflight(int fd, __u32 n, unsigned int ms)
{
	struct dynasync_stats st;
	__u64 end = ds_now_ns() + ms * NSEC_PER_MSEC;

	do {
		if (ds_stats(fd, &st))
			return -EIO;
		if (st.inflight == n)
			return 0;
		ds_sleep_ms(1);
	} while (ds_now_ns() < end);
	return -ETIMEDOUT;
}

bool ds_quiescent(const struct dynasync_stats *st)
{
	int i;

	for (i = 0; i < DYNASYNC_SITES; i++)
		if (st->live_allocs[i])
			return false;
	for (i = 0; i <= DYNASYNC_STRATEGY_MAX; i++)
		if (st->strategy[i].live_frames || st->strategy[i].live_bytes)
			return false;
	return true;
}

int ds_param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), DS_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

long ds_param_read(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DS_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

int ds_param_set(const char *name, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", val);
	return ds_param_write(name, buf);
}

int ds_fault_set(int fd, const struct dynasync_fault_policy *p)
{
	return ds_ioctl(fd, DYNASYNC_IOC_FAULT_SET, (void *)p);
}

int ds_fault_get(int fd, struct dynasync_fault_state *s)
{
	memset(s, DS_POISON, sizeof(*s));
	return ds_ioctl(fd, DYNASYNC_IOC_FAULT_GET, s);
}

int ds_fault_off(int fd, bool reset)
{
	struct dynasync_fault_policy p;

	memset(&p, 0, sizeof(p));
	p.flags = reset ? DYNASYNC_FAULT_F_RESET_COUNTERS : 0;
	return ds_fault_set(fd, &p);
}

__u64 ds_sum_sites(const __u64 *v)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < DYNASYNC_SITES; i++)
		sum += v[i];
	return sum;
}

int ds_read_text(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

int ds_write_text(const char *path, const char *val)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

bool ds_dbg_present(void)
{
	return access(DS_FAULT_DBG_DIR "mode", F_OK) == 0;
}

int ds_dbg_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DS_FAULT_DBG_DIR "%s", name);
	return ds_write_text(path, val);
}

int ds_dbg_set(const char *name, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", val);
	return ds_dbg_write(name, buf);
}

int ds_parse_num(const char *s, long long *v)
{
	char *end;

	errno = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		*v = strtoll(s, &end, 0);
	else
		*v = (long long)strtoull(s, &end, 0);
	if (errno || end == s || (*end && *end != '\n'))
		return -EPROTO;
	return 0;
}

int ds_dbg_get(const char *name, long long *v)
{
	char path[128], buf[64];
	int ret;

	snprintf(path, sizeof(path), DS_FAULT_DBG_DIR "%s", name);
	ret = ds_read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return ds_parse_num(buf, v);
}

int ds_dbg_state(const char *key, long long *v)
{
	char buf[512], *line, *save = NULL;
	size_t klen = strlen(key);
	int ret;

	ret = ds_read_text(DS_FAULT_DBG_DIR "state", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return ds_parse_num(line + klen + 1, v);
	}
	return -ENOENT;
}

int ds_site_index(const char *tok)
{
	static const char *const names[] = {
		"frame", "task", "object", "args", "reserve", "misc",
	};
	long long v;
	size_t i;

	if (!ds_parse_num(tok, &v))
		return v >= 0 && v < DYNASYNC_SITES ? (int)v : -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(tok, names[i]))
			return (int)i;
	return -1;
}

int ds_dbg_counters(__u64 *att, __u64 *inj, __u64 *fail)
{
	char buf[2048], tok[32], *line, *save = NULL;
	unsigned long long a, i, f;
	int n = 0, site, ret;

	memset(att, 0, DYNASYNC_SITES * sizeof(*att));
	memset(inj, 0, DYNASYNC_SITES * sizeof(*inj));
	memset(fail, 0, DYNASYNC_SITES * sizeof(*fail));
	ret = ds_read_text(DS_FAULT_DBG_DIR "counters", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	line = strtok_r(buf, "\n", &save);	/* the header */
	if (!line)
		return -EPROTO;
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (sscanf(line, "%31s %llu %llu %llu", tok, &a, &i, &f) != 4)
			return -EPROTO;
		site = ds_site_index(tok);
		if (site < 0)
			return -EPROTO;
		att[site] = a;
		inj[site] = i;
		fail[site] = f;
		n++;
	}
	return n;
}
