/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic pcap reader and writer, see pcap_file.h.  Format: a 24-byte file
 * header (magic, version 2.4, zone, sigfigs, snaplen, link type) then per
 * frame a 16-byte record header (seconds, micro- or nanoseconds, caplen,
 * origlen) and caplen bytes.  Written in host byte order, as libpcap does;
 * read in either order, told apart by the magic.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_file.h"

#define PCAPF_MAGIC_USEC   0xa1b2c3d4u
#define PCAPF_MAGIC_NSEC   0xa1b23c4du
#define PCAPF_FILE_HDR_LEN 24
#define PCAPF_REC_HDR_LEN  16
/* stdio buffer: large writes keep 1M-frame files to a few hundred syscalls. */
#define PCAPF_IOBUF_SIZE (1u << 20)

struct pcapf_writer {
	FILE *f;          /**< output file */
	uint32_t snaplen; /**< longest frame stored */
	int err;          /**< first write error (negative errno), sticky */
	char *iobuf;      /**< stdio buffer, freed after fclose() */
};

struct pcapf_reader {
	FILE *f;          /**< input file */
	bool swap;        /**< file byte order differs from ours */
	bool nsec;        /**< timestamps in nanoseconds */
	bool done;        /**< end of file or error reported: return 0 from now on */
	uint32_t snaplen; /**< from the file header */
	uint8_t *buf;     /**< current frame, PCAPF_SNAPLEN_MAX bytes */
};

struct pcapf_file_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcapf_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_frac;
	uint32_t caplen;
	uint32_t origlen;
};

_Static_assert(sizeof(struct pcapf_file_hdr) == PCAPF_FILE_HDR_LEN, "pcap file header layout");
_Static_assert(sizeof(struct pcapf_rec_hdr) == PCAPF_REC_HDR_LEN, "pcap record header layout");

struct pcapf_writer *
pcapf_writer_open(const char *path, uint32_t snaplen)
{
	struct pcapf_file_hdr hdr = {
		.magic = PCAPF_MAGIC_USEC,
		.version_major = 2,
		.version_minor = 4,
		.linktype = PCAPF_DLT_EN10MB,
	};
	struct pcapf_writer *w;
	int err;

	if (path == NULL || snaplen > PCAPF_SNAPLEN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->snaplen = snaplen == 0 ? PCAPF_SNAPLEN_MAX : snaplen;
	w->iobuf = malloc(PCAPF_IOBUF_SIZE);
	if (w->iobuf == NULL)
		goto err_free;
	w->f = fopen(path, "wb");
	if (w->f == NULL)
		goto err_free;
	setvbuf(w->f, w->iobuf, _IOFBF, PCAPF_IOBUF_SIZE);
	hdr.snaplen = w->snaplen;
	if (fwrite(&hdr, sizeof(hdr), 1, w->f) != 1)
		goto err_close;
	return w;

err_close:
	err = errno != 0 ? errno : EIO;
	fclose(w->f);
	errno = err;
err_free:
	err = errno;
	free(w->iobuf);
	free(w);
	errno = err;
	return NULL;
}

int
pcapf_write(struct pcapf_writer *w, const void *frame, uint32_t len, uint64_t ts_usec)
{
	struct pcapf_rec_hdr rec;

	if (w == NULL || (frame == NULL && len > 0))
		return -EINVAL;
	if (w->err != 0)
		return w->err;
	rec.ts_sec = (uint32_t)(ts_usec / 1000000u);
	rec.ts_frac = (uint32_t)(ts_usec % 1000000u);
	rec.caplen = len < w->snaplen ? len : w->snaplen;
	rec.origlen = len;
	if (fwrite(&rec, sizeof(rec), 1, w->f) != 1 ||
	    (rec.caplen > 0 && fwrite(frame, rec.caplen, 1, w->f) != 1))
		w->err = errno != 0 ? -errno : -EIO;
	return w->err;
}

int
pcapf_writer_close(struct pcapf_writer *w)
{
	int err;

	if (w == NULL)
		return 0;
	err = w->err;
	if (fclose(w->f) != 0 && err == 0)
		err = errno != 0 ? -errno : -EIO;
	free(w->iobuf);
	free(w);
	return err;
}

static uint32_t
swap32__(uint32_t v)
{
	return __builtin_bswap32(v);
}

struct pcapf_reader *
pcapf_reader_open(const char *path)
{
	struct pcapf_file_hdr hdr;
	struct pcapf_reader *r;
	int err;

	if (path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->buf = malloc(PCAPF_SNAPLEN_MAX);
	if (r->buf == NULL)
		goto err_free;
	r->f = fopen(path, "rb");
	if (r->f == NULL)
		goto err_free;
	err = EINVAL;
	if (fread(&hdr, sizeof(hdr), 1, r->f) != 1)
		goto err_close;
	if (hdr.magic == swap32__(PCAPF_MAGIC_USEC) || hdr.magic == swap32__(PCAPF_MAGIC_NSEC)) {
		r->swap = true;
		hdr.magic = swap32__(hdr.magic);
		hdr.snaplen = swap32__(hdr.snaplen);
		hdr.linktype = swap32__(hdr.linktype);
	}
	if (hdr.magic != PCAPF_MAGIC_USEC && hdr.magic != PCAPF_MAGIC_NSEC)
		goto err_close;
	r->nsec = hdr.magic == PCAPF_MAGIC_NSEC;
	/* The upper 16 bits of the link type field may carry FCS flags. */
	if ((hdr.linktype & 0xffff) != PCAPF_DLT_EN10MB) {
		err = ENOTSUP;
		goto err_close;
	}
	r->snaplen = hdr.snaplen;
	return r;

err_close:
	fclose(r->f);
	errno = err;
err_free:
	err = errno;
	free(r->buf);
	free(r);
	errno = err;
	return NULL;
}

int
pcapf_read(struct pcapf_reader *r, const uint8_t **frame, struct pcapf_rec *rec)
{
	struct pcapf_rec_hdr h;
	size_t n;

	if (r == NULL || frame == NULL || rec == NULL)
		return -EINVAL;
	if (r->done)
		return 0;
	n = fread(&h, 1, sizeof(h), r->f);
	if (n != sizeof(h)) {
		r->done = true;
		if (ferror(r->f))
			return -EIO;
		return n == 0 ? 0 : -EINVAL;
	}
	if (r->swap) {
		h.ts_sec = swap32__(h.ts_sec);
		h.ts_frac = swap32__(h.ts_frac);
		h.caplen = swap32__(h.caplen);
		h.origlen = swap32__(h.origlen);
	}
	/* Some writers store a snaplen below what they capture: bound by our buffer only. */
	if (h.caplen > PCAPF_SNAPLEN_MAX) {
		r->done = true;
		return -EINVAL;
	}
	if (h.caplen > 0 && fread(r->buf, h.caplen, 1, r->f) != 1) {
		r->done = true;
		return ferror(r->f) ? -EIO : -EINVAL;
	}
	rec->ts_usec = (uint64_t)h.ts_sec * 1000000u + (r->nsec ? h.ts_frac / 1000u : h.ts_frac);
	rec->caplen = h.caplen;
	rec->origlen = h.origlen;
	*frame = r->buf;
	return 1;
}

uint32_t
pcapf_reader_snaplen(const struct pcapf_reader *r)
{
	return r->snaplen;
}

void
pcapf_reader_close(struct pcapf_reader *r)
{
	if (r == NULL)
		return;
	fclose(r->f);
	free(r->buf);
	free(r);
}
