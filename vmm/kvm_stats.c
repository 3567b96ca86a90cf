#include "kvm_stats.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct kvm_stats_desc *desc_at(const struct kvm_stats *st, int i)
{
	return (const struct kvm_stats_desc *)(st->desc + (size_t)i * st->desc_stride);
}

int kvm_stats_open(struct kvm_stats *st, int fd)
{
	memset(st, 0, sizeof(*st));
	st->fd = fd;
	if (fd < 0)
		return -1;
	if (pread(fd, &st->hdr, sizeof(st->hdr), 0) != sizeof(st->hdr))
		return -1;
	st->ndesc = st->hdr.num_desc;
	st->desc_stride = sizeof(struct kvm_stats_desc) + st->hdr.name_size;
	size_t dbytes = st->desc_stride * st->ndesc;
	st->desc = malloc(dbytes);
	if (!st->desc || pread(fd, st->desc, dbytes, st->hdr.desc_offset) != (ssize_t)dbytes)
		return -1;
	size_t words = 0;
	for (uint32_t i = 0; i < st->ndesc; i++) {
		const struct kvm_stats_desc *d = desc_at(st, i);
		size_t end = d->offset / 8 + d->size;
		if (end > words)
			words = end;
	}
	st->data_words = words;
	st->data = calloc(words ? words : 1, 8);
	if (!st->data)
		return -1;
	return kvm_stats_refresh(st);
}

void kvm_stats_close(struct kvm_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->desc);
	free(st->data);
	memset(st, 0, sizeof(*st));
	st->fd = -1;
}

int kvm_stats_refresh(struct kvm_stats *st)
{
	if (!st->data)
		return -1;
	ssize_t n = pread(st->fd, st->data, st->data_words * 8, st->hdr.data_offset);
	return n == (ssize_t)(st->data_words * 8) ? 0 : -1;
}

int kvm_stats_find(const struct kvm_stats *st, const char *name)
{
	for (uint32_t i = 0; i < st->ndesc; i++)
		if (!strcmp(desc_at(st, i)->name, name))
			return i;
	return -1;
}

const char *kvm_stats_name(const struct kvm_stats *st, int i)
{
	return desc_at(st, i)->name;
}

uint64_t kvm_stats_value(const struct kvm_stats *st, int i)
{
	if (i < 0 || !st->data)
		return 0;
	return st->data[desc_at(st, i)->offset / 8];
}

int kvm_stats_is_scalar(const struct kvm_stats *st, int i)
{
	return desc_at(st, i)->size == 1;
}
