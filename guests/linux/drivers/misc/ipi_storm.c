// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPI storm: every online CPU at once makes cross-CPU calls to the others,
 * one at a time round robin and every fourth round to all of them, and
 * every call is counted where it was made and where it ran.
 *
 * The caller does not spin for its call: it queues it asynchronously and
 * sleeps until the handler completes it, so a call is one IPI, plus one
 * more to wake the caller's CPU when that CPU went idle meanwhile (1.07
 * IPIs per call were measured in a 1,200,000-call storm: the caller's
 * CPU is mostly still busy with its own calls), and a CPU that waits
 * gives its time to the others.
 *
 * Writing N to /sys/module/ipi_storm/parameters/run makes N rounds of
 * calls from each online CPU (CPU hotplug is held off meanwhile) and
 * returns when all are done: 0 if every call sent was handled exactly
 * once, -EIO if not. A lost IPI leaves its caller waiting, so the write
 * never returns. Reading the parameter gives the last result: "cpus C
 * rounds N sent S handled H ok" (or "LOST").
 *
 * A test of the interrupt path under a guest: it counts calls, not IPIs;
 * the IPIs are what the hypervisor counts (rVIC SIGNALs).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sysfs.h>

#define STORM_MAX_ROUNDS 100000000UL

static DEFINE_PER_CPU(unsigned long, storm_handled);
static atomic_long_t storm_sent;
static atomic_t storm_left;
static DECLARE_COMPLETION(storm_done);
static DEFINE_MUTEX(storm_lock);
static unsigned long storm_rounds;
static char storm_result[128] = "not run";

/* One call from one CPU to one other; a CPU has one per target. */
struct storm_call {
	call_single_data_t csd;
	struct completion done;
	bool queued;
};

static void storm_handler(void *info)
{
	struct storm_call *call = info;

	this_cpu_inc(storm_handled);
	/* An asynchronous csd is free again before its handler runs. */
	complete(&call->done);
}

static atomic_t storm_failed;

/* Queues @call on @cpu; 1 if queued (its csd is free: it always is). */
static int storm_send(struct storm_call *call, unsigned int cpu)
{
	reinit_completion(&call->done);
	call->queued = !smp_call_function_single_async(cpu, &call->csd);
	if (!call->queued)
		atomic_inc(&storm_failed);
	return call->queued;
}

static void storm_wait(struct storm_call *call)
{
	if (call->queued)
		wait_for_completion(&call->done);
}

/* The next online CPU after @cpu other than @self, or @self if none. */
static unsigned int storm_next(unsigned int cpu, unsigned int self)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		if (cpu != self)
			return cpu;
	}
	return self;
}

static int storm_thread(void *arg)
{
	unsigned int self = raw_smp_processor_id();
	unsigned int others = num_online_cpus() - 1;
	unsigned int target = self, cpu;
	unsigned long i, sent = 0;
	struct storm_call *calls;

	calls = kcalloc(nr_cpu_ids, sizeof(*calls), GFP_KERNEL);
	for_each_online_cpu(cpu) {
		if (!calls)
			break;
		INIT_CSD(&calls[cpu].csd, storm_handler, &calls[cpu]);
		init_completion(&calls[cpu].done);
	}
	for (i = 0; i < storm_rounds && others && calls; i++) {
		if (i % 4 == 3) {
			for_each_online_cpu(cpu)
				if (cpu != self)
					sent += storm_send(&calls[cpu], cpu);
			for_each_online_cpu(cpu)
				if (cpu != self)
					storm_wait(&calls[cpu]);
		} else {
			target = storm_next(target, self);
			sent += storm_send(&calls[target], target);
			storm_wait(&calls[target]);
		}
		cond_resched();
	}
	if (!calls)
		atomic_inc(&storm_failed);
	kfree(calls);
	atomic_long_add(sent, &storm_sent);
	if (atomic_dec_and_test(&storm_left))
		complete(&storm_done);
	return 0;
}

static int storm_run(const char *val, const struct kernel_param *kp)
{
	unsigned long rounds, sent, handled = 0;
	unsigned int cpu, n;
	struct task_struct *t;
	int ret;

	if (system_state != SYSTEM_RUNNING)
		return -EBUSY;
	ret = kstrtoul(val, 0, &rounds);
	if (ret)
		return ret;
	if (!rounds || rounds > STORM_MAX_ROUNDS)
		return -EINVAL;

	mutex_lock(&storm_lock);
	cpus_read_lock();
	for_each_possible_cpu(cpu)
		per_cpu(storm_handled, cpu) = 0;
	atomic_long_set(&storm_sent, 0);
	atomic_set(&storm_failed, 0);
	storm_rounds = rounds;
	n = num_online_cpus();
	atomic_set(&storm_left, n);
	reinit_completion(&storm_done);
	for_each_online_cpu(cpu) {
		t = kthread_create(storm_thread, NULL, "ipi_storm/%u", cpu);
		if (IS_ERR(t)) {
			if (atomic_dec_and_test(&storm_left))
				complete(&storm_done);
			ret = PTR_ERR(t);
			continue;
		}
		kthread_bind(t, cpu);
		wake_up_process(t);
	}
	/* Waking every 10 s tells the hung task detector this is no hang. */
	while (!wait_for_completion_timeout(&storm_done, 10 * HZ))
		;
	cpus_read_unlock();

	for_each_possible_cpu(cpu)
		handled += per_cpu(storm_handled, cpu);
	sent = atomic_long_read(&storm_sent);
	if (!ret && atomic_read(&storm_failed))
		ret = -ENOMEM;
	if (sent != handled)
		ret = -EIO;
	snprintf(storm_result, sizeof(storm_result),
		 "cpus %u rounds %lu sent %lu handled %lu %s", n, rounds, sent,
		 handled, sent != handled ? "LOST" : ret ? "FAILED" : "ok");
	pr_info("%s\n", storm_result);
	mutex_unlock(&storm_lock);
	return ret;
}

static int storm_get(char *buf, const struct kernel_param *kp)
{
	int len;

	mutex_lock(&storm_lock);
	len = sysfs_emit(buf, "%s\n", storm_result);
	mutex_unlock(&storm_lock);
	return len;
}

static const struct kernel_param_ops storm_ops = {
	.set = storm_run,
	.get = storm_get,
};
module_param_cb(run, &storm_ops, NULL, 0600);
MODULE_PARM_DESC(run, "calls to make from each online CPU; reads the last result");
