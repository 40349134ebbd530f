// SPDX-License-Identifier: Apache-2.0 OR MIT
/*
 * pingpong N [CPU_A CPU_B]: a cross-CPU wake-up benchmark for the guest.
 * Two processes, pinned to CPU_A and CPU_B (default 0 and 1), pass one
 * byte back and forth through two pipes N times; each blocks in read()
 * until the other writes, so every half trip wakes a sleeping task on
 * the other CPU, normally by an IPI to it (arm64 queues the wake-up on the
 * target and sends a function-call IPI).
 * Prints one line:
 *   pingpong: N round trips CPU_A<->CPU_B in T ns: P ns per round trip
 * with T from CLOCK_MONOTONIC in the parent. Exit status 0; 1 with a
 * message on a failed system call (its errno); 2 on a bad argument.
 * `pingpong -t` prints CLOCK_MONOTONIC in ns instead (busybox's date has
 * no %N), `pingpong -r` the virtual counter in ns (since reset).
 *
 * Freestanding (no libc: the initramfs has only busybox): raw AArch64
 * Linux system calls, built with -nostdlib -static by initramfs.sh.
 */

typedef unsigned long u64;
typedef long s64;

#define SYS_pipe2 59
#define SYS_read 63
#define SYS_write 64
#define SYS_exit 93
#define SYS_sched_setaffinity 122
#define SYS_clock_gettime 113
#define SYS_clone 220
#define SYS_wait4 260
#define SIGCHLD 17
#define CLOCK_MONOTONIC 1

static s64 sys6(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e)
{
	register s64 x8 __asm__("x8") = n;
	register s64 x0 __asm__("x0") = a;
	register s64 x1 __asm__("x1") = b;
	register s64 x2 __asm__("x2") = c;
	register s64 x3 __asm__("x3") = d;
	register s64 x4 __asm__("x4") = e;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
}

/* What the compiler may call for a zeroed array. */
void *memset(void *d, int c, unsigned long n)
{
	char *p = d;

	while (n--)
		*p++ = (char)c;
	return d;
}

#define sys(n, a, b, c) sys6(n, (s64)(a), (s64)(b), (s64)(c), 0, 0)

static u64 len(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys(SYS_write, 1, s, len(s));
}

static void put_u64(u64 v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	put(buf + i);
}

static __attribute__((noreturn)) void die(const char *what, s64 err)
{
	put("pingpong: ");
	put(what);
	put(" failed: ");
	put_u64(-err);
	put("\n");
	sys(SYS_exit, 1, 0, 0);
	__builtin_unreachable();
}

static __attribute__((noreturn)) void usage(const char *why)
{
	put("pingpong: ");
	put(why);
	put(" (usage: pingpong N [CPU_A CPU_B], pingpong -t, pingpong -r)\n");
	sys(SYS_exit, 2, 0, 0);
	__builtin_unreachable();
}

static u64 parse(const char *s, const char *what)
{
	u64 v = 0;

	if (!*s)
		usage(what);
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (~0UL - 9) / 10)
			usage(what);
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void pin(u64 cpu)
{
	u64 mask[16] = { 0 };
	s64 r;

	if (cpu >= 64 * 16)
		usage("a CPU number is at most 1023");
	mask[cpu / 64] = 1UL << (cpu % 64);
	r = sys(SYS_sched_setaffinity, 0, sizeof(mask), mask);
	if (r < 0)
		die("sched_setaffinity", r);
}

static u64 now_ns(void)
{
	s64 ts[2];
	s64 r = sys(SYS_clock_gettime, CLOCK_MONOTONIC, ts, 0);

	if (r < 0)
		die("clock_gettime", r);
	return (u64)ts[0] * 1000000000UL + (u64)ts[1];
}

/*
 * The virtual counter in ns: the time since the machine's reset where the
 * hypervisor gives the guest no counter offset (rvhyp: CNTVOFF_EL2 = 0).
 * Linux lets EL0 read it (for the vDSO).
 */
static u64 since_reset_ns(void)
{
	u64 cnt, frq;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	if (!frq)
		return 0;
	return cnt / frq * 1000000000UL + cnt % frq * 1000000000UL / frq;
}

/* Read one byte from @in, write it to @out, @n times (the child's side). */
static void bounce(int in, int out, u64 n)
{
	char c;
	s64 r;

	while (n--) {
		r = sys(SYS_read, in, &c, 1);
		if (r != 1)
			die("read", r < 0 ? r : -5);
		r = sys(SYS_write, out, &c, 1);
		if (r != 1)
			die("write", r < 0 ? r : -5);
	}
}

static int run(int argc, char **argv)
{
	int ab[2], ba[2];
	u64 n, cpu_a = 0, cpu_b = 1, t0 = 0, t;
	char c = 'x';
	s64 r, pid, i;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1] == 't' && !argv[1][2]) {
		put_u64(now_ns());
		put("\n");
		return 0;
	}
	if (argc == 2 && argv[1][0] == '-' && argv[1][1] == 'r' && !argv[1][2]) {
		put_u64(since_reset_ns());
		put("\n");
		return 0;
	}
	if (argc != 2 && argc != 4)
		usage("one or three arguments");
	n = parse(argv[1], "N is a whole number");
	if (argc == 4) {
		cpu_a = parse(argv[2], "CPU_A is a CPU number");
		cpu_b = parse(argv[3], "CPU_B is a CPU number");
	}
	r = sys(SYS_pipe2, ab, 0, 0);
	if (r < 0)
		die("pipe2", r);
	r = sys(SYS_pipe2, ba, 0, 0);
	if (r < 0)
		die("pipe2", r);
	pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die("clone", pid);
	if (pid == 0) {
		pin(cpu_b);
		bounce(ab[0], ba[1], n + 1);
		sys(SYS_exit, 0, 0, 0);
	}
	pin(cpu_a);
	/* Round trip 0 is untimed: after it both sides are pinned and warm. */
	for (i = 0; (u64)i <= n; i++) {
		if (i == 1)
			t0 = now_ns();
		r = sys(SYS_write, ab[1], &c, 1);
		if (r != 1)
			die("write", r < 0 ? r : -5);
		r = sys(SYS_read, ba[0], &c, 1);
		if (r != 1)
			die("read", r < 0 ? r : -5);
	}
	t = n ? now_ns() - t0 : 0;
	r = sys6(SYS_wait4, pid, 0, 0, 0, 0);
	if (r < 0)
		die("wait4", r);
	put("pingpong: ");
	put_u64(n);
	put(" round trips ");
	put_u64(cpu_a);
	put("<->");
	put_u64(cpu_b);
	put(" in ");
	put_u64(t);
	put(" ns: ");
	put_u64(n ? t / n : 0);
	put(" ns per round trip\n");
	return 0;
}

/* The kernel enters here with sp at argc, then argv. */
__attribute__((noreturn, used)) void start_c(u64 *sp)
{
	sys(SYS_exit, run((int)sp[0], (char **)(sp + 1)), 0, 0);
	__builtin_unreachable();
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n");
