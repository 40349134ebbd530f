// SPDX-License-Identifier: Apache-2.0 OR MIT
/*
 * bench-vmm: the smallest VMM that runs the benchmark guest (guests/bench)
 * under Linux KVM on arm64, for the KVM columns of docs/performance.md.
 * A static binary for the L1 host's initramfs (scripts/kvm-bench).
 *
 * One VM: RAM at 0x40000000, the image (an arm64 Image) 2 MiB in, a device
 * tree we write at the top of RAM; a vGICv3 (GICD 0x8000000, GICR
 * 0x80a0000) or vGICv2 (GICD 0x8000000, GICC 0x8010000) created by KVM;
 * PSCI 0.2 answered by KVM (vCPUs 1.. start powered off); one write-only
 * PL011 data register at 0x9000000 emulated here, from MMIO exits. Each
 * vCPU runs KVM_RUN in its own thread. On the guest's SYSTEM_OFF it prints
 * each vCPU's exit counters (KVM's binary stats) and exits 0.
 *
 * usage: bench-vmm [-g 3|2] [-n VCPUS] [-m MIB] [-a BOOTARGS] IMAGE
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
#define MAX_VCPUS 8
#define PHANDLE_GIC 1

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
		      uint64_t ram_size, const char *bootargs)
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

	fdt_begin(&f, "pl011@9000000");
	fdt_prop(&f, "compatible", "arm,pl011\0arm,primecell", 24);
	CELLS(&f, "reg", 0, (uint32_t)UART_BASE, 0, 0x1000);
	fdt_end(&f);

	fdt_end(&f);
	fdt_finish(&f, dst, DTB_SIZE);
}

/*
 * Each vCPU's stats fd is opened before any vCPU runs: KVM_GET_STATS_FD is
 * a vCPU ioctl, which waits for the vCPU's mutex, held through KVM_RUN.
 */
static int vcpu_fd[MAX_VCPUS], stats_fd[MAX_VCPUS], nvcpus;
static struct kvm_run *vcpu_run[MAX_VCPUS];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

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
	puts(line);
	free(d);
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
			if (run->mmio.is_write) {
				if (run->mmio.phys_addr == UART_BASE) {
					pthread_mutex_lock(&out_lock);
					if (write(1, run->mmio.data, 1) != 1)
						die("writing the console");
					pthread_mutex_unlock(&out_lock);
				}
			} else {
				/* PL011 FR and the rest: 0 (never busy). */
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			}
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			pthread_mutex_lock(&out_lock);
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
	uint64_t ram_size = 64ULL << 20, mpidr[MAX_VCPUS];
	const char *bootargs = "";
	struct stat st;

	nvcpus = 4;
	while ((opt = getopt(argc, argv, "g:n:m:a:")) != -1) {
		switch (opt) {
		case 'g': gic = atoi(optarg); break;
		case 'n': nvcpus = atoi(optarg); break;
		case 'm': ram_size = strtoull(optarg, NULL, 0) << 20; break;
		case 'a': bootargs = optarg; break;
		default: errno = 0; die("usage: bench-vmm [-g 3|2] [-n VCPUS] [-m MIB] [-a BOOTARGS] IMAGE");
		}
	}
	errno = 0;
	if (optind != argc - 1 || (gic != 2 && gic != 3) || nvcpus < 1 || nvcpus > MAX_VCPUS ||
	    ram_size < (16ULL << 20))
		die("usage: bench-vmm [-g 3|2] [-n 1..8] [-m MIB >= 16] [-a BOOTARGS] IMAGE");

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap of guest RAM");
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
	write_dtb(ram + ram_size - DTB_SIZE, gic, nvcpus, mpidr, ram_size, bootargs);
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
