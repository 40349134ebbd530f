// SPDX-License-Identifier: Apache-2.0 OR MIT
/*
 * bench-vmm: the smallest VMM that runs the benchmark guest (guests/bench)
 * under Linux KVM on arm64, for the KVM columns of docs/performance.md.
 * A static binary for the L1 host's initramfs (scripts/kvm-bench).
 *
 * It also runs the default Linux guest (scripts/kvm-bench --linux), for
 * the KVM columns of scripts/bench-linux.
 *
 * One VM: RAM at 0x40000000, the image (an arm64 Image) 2 MiB in, an
 * optional initrd below a device tree we write at the top of RAM; a
 * vGICv3 (GICD 0x8000000, GICR 0x80a0000) or vGICv2 (GICD 0x8000000, GICC
 * 0x8010000) created by KVM; PSCI 0.2 answered by KVM (vCPUs 1.. start
 * powered off). Emulated here, from MMIO exits, as on QEMU's virt board:
 *  - a PL011 at 0x9000000 (SPI 1, level): its transmit FIFO is always
 *    empty and never busy, its receiver always empty; TXRIS is always
 *    raised, so the line is high exactly while UARTIMSC.TXIM is set;
 *  - with -z MIB, a virtio-mmio (version 2) block device at 0xa000000
 *    (SPI 16, level) of MIB MiB that reads as zeros and refuses writes:
 *    the device side is a memset, so its figures are the interrupt and
 *    exit path's, not a disk's.
 * Each vCPU runs KVM_RUN in its own thread. On the guest's SYSTEM_OFF it
 * prints each vCPU's exit counters (KVM's binary stats, and console=N: the
 * exits for console bytes, UARTDR writes and UARTFR reads) and exits 0.
 *
 * usage: bench-vmm [-g 3|2] [-n VCPUS] [-m MIB] [-a BOOTARGS] [-i INITRD] [-z MIB] IMAGE
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_BASE 0x40000000ULL
#define IMAGE_OFFSET 0x200000ULL
#define DTB_SIZE 0x10000ULL
#define UART_BASE 0x09000000ULL
#define GICD_BASE 0x08000000ULL
#define GICR_BASE 0x080a0000ULL
#define GICR_STRIDE 0x20000ULL
#define GICC_BASE 0x08010000ULL
#define VIRTIO_BASE 0x0a000000ULL
#define UART_SPI 1
#define VIRTIO_SPI 16
#define MAX_VCPUS 8
#define PHANDLE_GIC 1
#define PHANDLE_CLK 2

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* A flattened device tree, written front to back. */
struct fdt {
	uint8_t structs[8192];
	size_t slen;
	char strings[1024];
	size_t strlen;
};

static void fdt_word(struct fdt *f, uint32_t w)
{
	if (f->slen + 4 > sizeof(f->structs))
		die("device tree too large");
	w = __builtin_bswap32(w);
	memcpy(f->structs + f->slen, &w, 4);
	f->slen += 4;
}

static void fdt_bytes(struct fdt *f, const void *p, size_t n)
{
	if (f->slen + n + 4 > sizeof(f->structs))
		die("device tree too large");
	memcpy(f->structs + f->slen, p, n);
	f->slen += n;
	while (f->slen % 4)
		f->structs[f->slen++] = 0;
}

static void fdt_begin(struct fdt *f, const char *name)
{
	fdt_word(f, 1); /* FDT_BEGIN_NODE */
	fdt_bytes(f, name, strlen(name) + 1);
}

static void fdt_end(struct fdt *f)
{
	fdt_word(f, 2); /* FDT_END_NODE */
}

static void fdt_prop(struct fdt *f, const char *name, const void *v, size_t n)
{
	size_t len = strlen(name) + 1;

	if (f->strlen + len > sizeof(f->strings))
		die("device tree strings too large");
	fdt_word(f, 3); /* FDT_PROP */
	fdt_word(f, n);
	fdt_word(f, f->strlen);
	memcpy(f->strings + f->strlen, name, len);
	f->strlen += len;
	fdt_bytes(f, v, n);
}

static void fdt_str(struct fdt *f, const char *name, const char *s)
{
	fdt_prop(f, name, s, strlen(s) + 1);
}

static void fdt_cells(struct fdt *f, const char *name, const uint32_t *c, size_t n)
{
	uint32_t be[32];

	for (size_t i = 0; i < n; i++)
		be[i] = __builtin_bswap32(c[i]);
	fdt_prop(f, name, be, 4 * n);
}

#define CELLS(f, name, ...)                                              \
	do {                                                             \
		const uint32_t c_[] = { __VA_ARGS__ };                   \
		fdt_cells(f, name, c_, sizeof(c_) / sizeof(c_[0]));      \
	} while (0)

/* Write the blob to dst (at most max bytes); returns its size. */
static size_t fdt_finish(struct fdt *f, uint8_t *dst, size_t max)
{
	uint32_t hdr[10];
	size_t off_struct = 40 + 16, total;

	fdt_word(f, 9); /* FDT_END */
	total = off_struct + f->slen + f->strlen;
	if (total > max)
		die("device tree larger than its slot");
	hdr[0] = 0xd00dfeed;
	hdr[1] = total;
	hdr[2] = off_struct;
	hdr[3] = off_struct + f->slen;
	hdr[4] = 40;	/* memory reservation map: one empty entry */
	hdr[5] = 17;
	hdr[6] = 16;
	hdr[7] = 0;
	hdr[8] = f->strlen;
	hdr[9] = f->slen;
	for (int i = 0; i < 10; i++)
		hdr[i] = __builtin_bswap32(hdr[i]);
	memset(dst, 0, off_struct);
	memcpy(dst, hdr, 40);
	memcpy(dst + off_struct, f->structs, f->slen);
	memcpy(dst + off_struct + f->slen, f->strings, f->strlen);
	return total;
}

static void write_dtb(uint8_t *dst, int gic, int n, const uint64_t *mpidr,
		      uint64_t ram_size, const char *bootargs, uint64_t initrd,
		      uint64_t initrd_size, int disk)
{
	static struct fdt f;
	char name[32];

	fdt_begin(&f, "");
	CELLS(&f, "#address-cells", 2);
	CELLS(&f, "#size-cells", 2);
	CELLS(&f, "interrupt-parent", PHANDLE_GIC);
	fdt_str(&f, "compatible", "linux,dummy-virt");

	fdt_begin(&f, "chosen");
	fdt_str(&f, "bootargs", bootargs);
	fdt_str(&f, "stdout-path", "/pl011@9000000");
	if (initrd_size) {
		CELLS(&f, "linux,initrd-start", (uint32_t)(initrd >> 32), (uint32_t)initrd);
		CELLS(&f, "linux,initrd-end", (uint32_t)((initrd + initrd_size) >> 32),
		      (uint32_t)(initrd + initrd_size));
	}
	fdt_end(&f);

	fdt_begin(&f, "memory@40000000");
	fdt_str(&f, "device_type", "memory");
	CELLS(&f, "reg", 0, (uint32_t)RAM_BASE, (uint32_t)(ram_size >> 32), (uint32_t)ram_size);
	fdt_end(&f);

	fdt_begin(&f, "cpus");
	CELLS(&f, "#address-cells", 1);
	CELLS(&f, "#size-cells", 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)mpidr[i]);
		fdt_begin(&f, name);
		fdt_str(&f, "device_type", "cpu");
		fdt_str(&f, "compatible", "arm,armv8");
		fdt_str(&f, "enable-method", "psci");
		CELLS(&f, "reg", (uint32_t)mpidr[i]);
		fdt_end(&f);
	}
	fdt_end(&f);

	fdt_begin(&f, "psci");
	fdt_prop(&f, "compatible", "arm,psci-0.2\0arm,psci", 22);
	fdt_str(&f, "method", "hvc");
	fdt_end(&f);

	fdt_begin(&f, "intc@8000000");
	CELLS(&f, "#interrupt-cells", 3);
	fdt_prop(&f, "interrupt-controller", "", 0);
	CELLS(&f, "phandle", PHANDLE_GIC);
	if (gic == 3) {
		fdt_str(&f, "compatible", "arm,gic-v3");
		CELLS(&f, "#redistributor-regions", 1);
		CELLS(&f, "reg", 0, (uint32_t)GICD_BASE, 0, 0x10000,
		      0, (uint32_t)GICR_BASE, 0, (uint32_t)(GICR_STRIDE * n));
	} else {
		fdt_str(&f, "compatible", "arm,cortex-a15-gic");
		CELLS(&f, "reg", 0, (uint32_t)GICD_BASE, 0, 0x1000,
		      0, (uint32_t)GICC_BASE, 0, 0x2000);
	}
	fdt_end(&f);

	fdt_begin(&f, "timer");
	fdt_str(&f, "compatible", "arm,armv8-timer");
	/* secure, non-secure physical, virtual, hypervisor PPIs, level high */
	CELLS(&f, "interrupts", 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4);
	fdt_end(&f);

	fdt_begin(&f, "apb-pclk");
	fdt_str(&f, "compatible", "fixed-clock");
	CELLS(&f, "#clock-cells", 0);
	CELLS(&f, "clock-frequency", 24000000);
	CELLS(&f, "phandle", PHANDLE_CLK);
	fdt_end(&f);

	fdt_begin(&f, "pl011@9000000");
	fdt_prop(&f, "compatible", "arm,pl011\0arm,primecell", 24);
	CELLS(&f, "reg", 0, (uint32_t)UART_BASE, 0, 0x1000);
	CELLS(&f, "interrupts", 0, UART_SPI, 4);
	CELLS(&f, "clocks", PHANDLE_CLK, PHANDLE_CLK);
	fdt_prop(&f, "clock-names", "uartclk\0apb_pclk", 17);
	fdt_end(&f);

	if (disk) {
		fdt_begin(&f, "virtio_mmio@a000000");
		fdt_str(&f, "compatible", "virtio,mmio");
		CELLS(&f, "reg", 0, (uint32_t)VIRTIO_BASE, 0, 0x200);
		CELLS(&f, "interrupts", 0, VIRTIO_SPI, 4);
		fdt_end(&f);
	}

	fdt_end(&f);
	fdt_finish(&f, dst, DTB_SIZE);
}

/*
 * Each vCPU's stats fd is opened before any vCPU runs: KVM_GET_STATS_FD is
 * a vCPU ioctl, which waits for the vCPU's mutex, held through KVM_RUN.
 */
static int vcpu_fd[MAX_VCPUS], stats_fd[MAX_VCPUS], nvcpus, vm_fd;
static uint8_t *guest_ram;
static uint64_t guest_ram_size, console_bytes[MAX_VCPUS];
static struct kvm_run *vcpu_run[MAX_VCPUS];

static uint64_t core_reg(size_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / 4);
}

static void set_reg(int fd, uint64_t id, uint64_t v)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)&v };

	if (ioctl(fd, KVM_SET_ONE_REG, &r) < 0)
		die("KVM_SET_ONE_REG %llx", (unsigned long long)id);
}

static uint64_t get_reg(int fd, uint64_t id)
{
	uint64_t v;
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)&v };

	if (ioctl(fd, KVM_GET_ONE_REG, &r) < 0)
		die("KVM_GET_ONE_REG %llx", (unsigned long long)id);
	return v;
}

/* Print every counter of vCPU i's binary stats whose name says "exit". */
static void print_exits(int i)
{
	struct kvm_stats_header h;
	int fd = stats_fd[i];
	char line[1024];
	size_t len;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		printf("[kvm] vcpu%d exits: unavailable (no KVM_GET_STATS_FD)\n", i);
		return;
	}
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	char *d = malloc(dsize * h.num_desc);

	if (!d || pread(fd, d, dsize * h.num_desc, h.desc_offset) != (ssize_t)(dsize * h.num_desc))
		die("reading the stats descriptors");
	len = snprintf(line, sizeof(line), "[kvm] vcpu%d exits:", i);
	for (uint32_t k = 0; k < h.num_desc; k++) {
		struct kvm_stats_desc *s = (void *)(d + k * dsize);
		uint64_t v;

		if (!strstr(s->name, "exit") || s->size != 1)
			continue;
		if (pread(fd, &v, 8, h.data_offset + s->offset) != 8)
			die("reading a stat");
		len += snprintf(line + len, sizeof(line) - len, " %s=%llu", s->name,
				(unsigned long long)v);
		if (len >= sizeof(line))
			break;
	}
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, " console=%llu",
			 (unsigned long long)console_bytes[i]);
	puts(line);
	free(d);
}


/* Drive SPI spi's line to level (KVM_IRQ_LINE; the vGIC keeps it). */
static void set_line(int spi, int level)
{
	struct kvm_irq_level l = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + spi),
		.level = level,
	};

	if (ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0)
		die("KVM_IRQ_LINE %d", spi);
}

/* The guest's RAM at [gpa, gpa + len), or NULL if it is not all RAM. */
static uint8_t *gpa_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || len > guest_ram_size || gpa - RAM_BASE > guest_ram_size - len)
		return NULL;
	return guest_ram + (gpa - RAM_BASE);
}

/*
 * The PL011: UARTDR writes go to stdout; the FIFOs are always empty, so
 * FR = TXFE | RXFE and RIS = TXRIS; the line is RIS & IMSC. Control
 * registers read back what was written; the ID registers are QEMU's.
 */
static pthread_mutex_t uart_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t uart_regs[0x50 / 4];

static uint32_t uart_access(int vcpu, uint64_t off, int is_write, uint32_t v)
{
	static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	uint32_t r = 0;

	pthread_mutex_lock(&uart_lock);
	if (is_write) {
		if (off == 0x00) {
			console_bytes[vcpu]++;
			if (write(1, &v, 1) != 1)
				die("writing the console");
		} else if (off == 0x38) {
			int was = uart_regs[0x38 / 4] & 0x20;

			uart_regs[0x38 / 4] = v & 0x7ff;
			if (was != (int)(v & 0x20))
				set_line(UART_SPI, !!(v & 0x20));
		} else if (off < sizeof(uart_regs) && off != 0x44 && off != 0x18 &&
			   off != 0x3c && off != 0x40) {
			uart_regs[off / 4] = v;
		}
	} else if (off == 0x18) {
		console_bytes[vcpu]++; /* a console byte's flag poll */
		r = 0x90;
	} else if (off == 0x3c) {
		r = 0x20;
	} else if (off == 0x40) {
		r = 0x20 & uart_regs[0x38 / 4];
	} else if (off >= 0xfe0 && off < 0x1000) {
		r = id[(off - 0xfe0) / 4];
	} else if (off < sizeof(uart_regs) && off != 0x00) {
		r = uart_regs[off / 4];
	}
	pthread_mutex_unlock(&uart_lock);
	return r;
}

/*
 * The virtio-mmio block device: one request queue; VIRTIO_F_VERSION_1 and
 * SEG_MAX (queue size - 2, as QEMU offers, so requests are as large as
 * under QEMU's device). A request is served in the exit of its QueueNotify
 * write.
 */
#define VQ_MAX 256
static struct {
	pthread_mutex_t lock;
	uint64_t sectors;
	uint32_t status, features_sel, queue_num, queue_ready, isr;
	uint64_t desc, avail, used;
	uint16_t last_avail;
	uint64_t requests;
} blk = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Serve one chain from head; returns the bytes written to the guest. */
static uint32_t blk_request(uint16_t head)
{
	struct vdesc *table = (void *)gpa_ptr(blk.desc, 16ULL * blk.queue_num);
	struct vdesc d[VQ_MAX];
	int n = 0;
	uint32_t written = 0;

	for (uint16_t i = head; n < (int)blk.queue_num; i = d[n - 1].next) {
		if (i >= blk.queue_num)
			return 0;
		d[n++] = table[i];
		if (!(d[n - 1].flags & 1)) /* VIRTQ_DESC_F_NEXT */
			break;
	}
	uint8_t *hdr = n >= 2 && d[0].len >= 16 ? gpa_ptr(d[0].addr, 16) : NULL;
	uint8_t *status = n >= 2 && d[n - 1].len >= 1 && (d[n - 1].flags & 2) ?
		gpa_ptr(d[n - 1].addr, 1) : NULL;
	if (!hdr || !status)
		return 0;
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	uint8_t st = 0; /* VIRTIO_BLK_S_OK */
	if (type == 0) { /* VIRTIO_BLK_T_IN: zeros */
		for (int k = 1; k < n - 1 && !st; k++) {
			uint8_t *p = gpa_ptr(d[k].addr, d[k].len);

			if (!p || !(d[k].flags & 2) || d[k].len % 512 ||
			    sector > blk.sectors || d[k].len / 512 > blk.sectors - sector) {
				st = 1; /* VIRTIO_BLK_S_IOERR */
				break;
			}
			memset(p, 0, d[k].len);
			sector += d[k].len / 512;
			written += d[k].len;
		}
	} else if (type == 8 && n == 3) { /* VIRTIO_BLK_T_GET_ID */
		uint8_t *p = gpa_ptr(d[1].addr, d[1].len < 20 ? d[1].len : 20);

		if (p)
			memcpy(p, "bench-vmm-zeros\0\0\0\0\0", d[1].len < 20 ? d[1].len : 20);
		st = p ? 0 : 1;
	} else {
		st = 2; /* VIRTIO_BLK_S_UNSUPP */
	}
	*status = st;
	return written + 1;
}

static void blk_notify(void)
{
	uint16_t *avail = (void *)gpa_ptr(blk.avail, 4 + 2ULL * blk.queue_num);
	uint8_t *used = gpa_ptr(blk.used, 4 + 8ULL * blk.queue_num);
	int served = 0;

	if (!blk.queue_ready || !avail || !used || !gpa_ptr(blk.desc, 16ULL * blk.queue_num))
		return;
	uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
	while (blk.last_avail != idx) {
		uint16_t head = avail[2 + blk.last_avail % blk.queue_num];
		uint16_t uidx = *(uint16_t *)(used + 2);
		uint32_t elem[2] = { head, blk_request(head) };

		memcpy(used + 4 + 8 * (uidx % blk.queue_num), elem, 8);
		__atomic_store_n((uint16_t *)(used + 2), (uint16_t)(uidx + 1), __ATOMIC_RELEASE);
		blk.last_avail++;
		blk.requests++;
		served = 1;
	}
	if (served && !(blk.isr & 1)) {
		blk.isr |= 1;
		set_line(VIRTIO_SPI, 1);
	}
}

static uint32_t blk_access(uint64_t off, int is_write, uint32_t v)
{
	uint32_t r = 0;

	pthread_mutex_lock(&blk.lock);
	if (is_write) {
		switch (off) {
		case 0x014: blk.features_sel = v; break;
		case 0x030: break; /* QueueSel: one queue */
		case 0x038: blk.queue_num = v && v <= VQ_MAX && !(v & (v - 1)) ? v : 0; break;
		case 0x044: blk.queue_ready = v & 1; break;
		case 0x050: blk_notify(); break;
		case 0x064:
			blk.isr &= ~v;
			if (!blk.isr)
				set_line(VIRTIO_SPI, 0);
			break;
		case 0x070:
			blk.status = v;
			if (!v) { /* reset */
				blk.queue_ready = blk.queue_num = blk.isr = 0;
				blk.last_avail = 0;
				set_line(VIRTIO_SPI, 0);
			}
			break;
		case 0x080: blk.desc = (blk.desc & ~0xffffffffULL) | v; break;
		case 0x084: blk.desc = (blk.desc & 0xffffffffULL) | (uint64_t)v << 32; break;
		case 0x090: blk.avail = (blk.avail & ~0xffffffffULL) | v; break;
		case 0x094: blk.avail = (blk.avail & 0xffffffffULL) | (uint64_t)v << 32; break;
		case 0x0a0: blk.used = (blk.used & ~0xffffffffULL) | v; break;
		case 0x0a4: blk.used = (blk.used & 0xffffffffULL) | (uint64_t)v << 32; break;
		}
	} else {
		switch (off) {
		case 0x000: r = 0x74726976; break; /* "virt" */
		case 0x004: r = 2; break;
		case 0x008: r = 2; break; /* block device */
		case 0x00c: r = 0x554d4551; break;
		/* VIRTIO_BLK_F_SEG_MAX (bit 2), VIRTIO_F_VERSION_1 (bit 32) */
		case 0x010: r = blk.features_sel == 1 ? 1 : blk.features_sel == 0 ? 4 : 0; break;
		case 0x034: r = VQ_MAX; break;
		case 0x044: r = blk.queue_ready; break;
		case 0x060: r = blk.isr; break;
		case 0x070: r = blk.status; break;
		case 0x0fc: r = 0; break;
		case 0x100: r = (uint32_t)blk.sectors; break;
		case 0x104: r = (uint32_t)(blk.sectors >> 32); break;
		case 0x10c: r = VQ_MAX - 2; break; /* seg_max, as QEMU's */
		}
	}
	pthread_mutex_unlock(&blk.lock);
	return r;
}

static void mmio_exit(int i, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr;
	uint32_t v = 0, r = 0;

	if (run->mmio.is_write)
		memcpy(&v, run->mmio.data, run->mmio.len < 4 ? run->mmio.len : 4);
	if (a >= UART_BASE && a < UART_BASE + 0x1000)
		r = uart_access(i, a - UART_BASE, run->mmio.is_write, v);
	else if (blk.sectors && a >= VIRTIO_BASE && a < VIRTIO_BASE + 0x200)
		r = blk_access(a - VIRTIO_BASE, run->mmio.is_write, v);
	/* Anything else reads as zero and ignores writes. */
	if (!run->mmio.is_write) {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &r, run->mmio.len < 4 ? run->mmio.len : 4);
	}
}

static void *vcpu_loop(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct kvm_run *run = vcpu_run[i];

	for (;;) {
		if (ioctl(vcpu_fd[i], KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN on vcpu%d", i);
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio_exit(i, run);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			pthread_mutex_lock(&uart_lock);
			fflush(stdout);
			for (int k = 0; k < nvcpus; k++)
				print_exits(k);
			printf("[kvm] guest system event %u\n", run->system_event.type);
			fflush(stdout);
			exit(run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? 0 : 1);
		default:
			errno = 0;
			die("vcpu%d: unhandled exit %u", i, run->exit_reason);
		}
	}
	return NULL;
}

static void vgic_attr(int fd, uint32_t group, uint64_t attr, void *v)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)v };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		die("KVM_SET_DEVICE_ATTR %u/%llu", group, (unsigned long long)attr);
}

int main(int argc, char **argv)
{
	int gic = 3, opt, kvm, vm;
	uint64_t ram_size = 64ULL << 20, mpidr[MAX_VCPUS], initrd = 0, initrd_size = 0;
	const char *bootargs = "", *initrd_path = NULL;
	struct stat st;

	nvcpus = 4;
	while ((opt = getopt(argc, argv, "g:n:m:a:i:z:")) != -1) {
		switch (opt) {
		case 'g': gic = atoi(optarg); break;
		case 'n': nvcpus = atoi(optarg); break;
		case 'm': ram_size = strtoull(optarg, NULL, 0) << 20; break;
		case 'a': bootargs = optarg; break;
		case 'i': initrd_path = optarg; break;
		case 'z': blk.sectors = strtoull(optarg, NULL, 0) << 11; break;
		default: errno = 0; die("usage: bench-vmm [-g 3|2] [-n VCPUS] [-m MIB] [-a BOOTARGS] [-i INITRD] [-z MIB] IMAGE");
		}
	}
	errno = 0;
	if (optind != argc - 1 || (gic != 2 && gic != 3) || nvcpus < 1 || nvcpus > MAX_VCPUS ||
	    ram_size < (16ULL << 20))
		die("usage: bench-vmm [-g 3|2] [-n 1..8] [-m MIB >= 16] [-a BOOTARGS] [-i INITRD] [-z MIB] IMAGE");

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	/*
	 * 2 MiB aligned and backed by transparent huge pages where the host
	 * has them, as QEMU backs guest RAM, so that KVM maps it in 2 MiB
	 * blocks: else every first touch of a 4 KiB page is a stage-2 fault
	 * exit, which the hypervisor's premapped RAM never takes.
	 */
	uint8_t *ram = mmap(NULL, ram_size + (2 << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap of guest RAM");
	ram = (uint8_t *)(((uintptr_t)ram + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	madvise(ram, ram_size, MADV_HUGEPAGE);
	guest_ram = ram;
	guest_ram_size = ram_size;
	struct kvm_userspace_memory_region mem = {
		.slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = ram_size,
		.userspace_addr = (uint64_t)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	int img = open(argv[optind], O_RDONLY);
	if (img < 0 || fstat(img, &st) < 0)
		die("%s", argv[optind]);
	if ((uint64_t)st.st_size > ram_size - IMAGE_OFFSET - DTB_SIZE)
		die("%s does not fit in guest RAM", argv[optind]);
	if (read(img, ram + IMAGE_OFFSET, st.st_size) != st.st_size)
		die("reading %s", argv[optind]);
	close(img);
	if (initrd_path) {
		int fd = open(initrd_path, O_RDONLY);

		if (fd < 0 || fstat(fd, &st) < 0)
			die("%s", initrd_path);
		initrd_size = st.st_size;
		/* Below the device tree, 2 MiB aligned, clear of the image. */
		initrd = (ram_size - DTB_SIZE - initrd_size) & ~0x1fffffULL;
		if (initrd_size > ram_size / 2 || initrd < IMAGE_OFFSET + (ram_size / 4))
			die("%s does not fit in guest RAM", initrd_path);
		if (read(fd, ram + initrd, initrd_size) != (ssize_t)initrd_size)
			die("reading %s", initrd_path);
		close(fd);
		initrd += RAM_BASE;
	}

	long run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_vcpu_init init;
	if (run_size <= 0 || ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_GET_VCPU_MMAP_SIZE / KVM_ARM_PREFERRED_TARGET");
	for (int i = 0; i < nvcpus; i++) {
		struct kvm_vcpu_init vi = init;

		vcpu_fd[i] = ioctl(vm, KVM_CREATE_VCPU, i);
		if (vcpu_fd[i] < 0)
			die("KVM_CREATE_VCPU %d", i);
		vcpu_run[i] = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd[i], 0);
		if (vcpu_run[i] == MAP_FAILED)
			die("mmap of kvm_run");
		vi.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
		if (i)
			vi.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
		if (ioctl(vcpu_fd[i], KVM_ARM_VCPU_INIT, &vi) < 0)
			die("KVM_ARM_VCPU_INIT %d", i);
		stats_fd[i] = ioctl(vcpu_fd[i], KVM_GET_STATS_FD, NULL);
		mpidr[i] = get_reg(vcpu_fd[i], ARM64_SYS_REG(3, 0, 0, 0, 5)) & 0xff00ffffffULL;
	}

	struct kvm_create_device dev = {
		.type = gic == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2,
	};
	if (ioctl(vm, KVM_CREATE_DEVICE, &dev) < 0)
		die("KVM_CREATE_DEVICE vGICv%d", gic);
	uint64_t gicd = GICD_BASE, second = gic == 3 ? GICR_BASE : GICC_BASE;
	vgic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
		  gic == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST, &gicd);
	vgic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
		  gic == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU, &second);
	vgic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

	uint64_t dtb = RAM_BASE + ram_size - DTB_SIZE;
	write_dtb(ram + ram_size - DTB_SIZE, gic, nvcpus, mpidr, ram_size, bootargs, initrd,
		  initrd_size, blk.sectors != 0);
	set_reg(vcpu_fd[0], core_reg(offsetof(struct kvm_regs, regs.pc)), RAM_BASE + IMAGE_OFFSET);
	set_reg(vcpu_fd[0], core_reg(offsetof(struct kvm_regs, regs.regs[0])), dtb);

	fprintf(stderr, "bench-vmm: %d vCPU(s), vGICv%d, %llu MiB at %#llx, device tree at %#llx\n",
		nvcpus, gic, (unsigned long long)(ram_size >> 20),
		(unsigned long long)RAM_BASE, (unsigned long long)dtb);
	pthread_t t[MAX_VCPUS];
	for (int i = 1; i < nvcpus; i++)
		if (pthread_create(&t[i], NULL, vcpu_loop, (void *)(intptr_t)i))
			die("pthread_create");
	vcpu_loop(0);
	return 0;
}
