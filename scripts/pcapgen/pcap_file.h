/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic pcap files (the libpcap 2.4 format) without libpcap: a writer for
 * microsecond, DLT_EN10MB files and a reader that returns frames one by one.
 *
 * The reader accepts both byte orders and the nanosecond variant (reported
 * in microseconds), Ethernet link type only, and stops cleanly on a file cut
 * short: frames before the cut are returned, the cut is reported once.
 *
 * A writer or reader belongs to one thread at a time; separate objects are
 * independent.
 */
#ifndef PCAP_FILE_H
#define PCAP_FILE_H

#include <stdint.h>

/** Link type written and accepted: Ethernet. */
#define PCAPF_DLT_EN10MB 1
/** Snapshot length used when the writer is given 0, and the largest accepted. */
#define PCAPF_SNAPLEN_MAX 262144u

struct pcapf_writer;
struct pcapf_reader;

/** One record's header. */
struct pcapf_rec {
	uint64_t ts_usec; /**< timestamp, microseconds since the epoch */
	uint32_t caplen;  /**< bytes stored in the file (returned to the caller) */
	uint32_t origlen; /**< length of the frame on the wire */
};

/**
 * Creates (truncates) 'path' and writes the file header.
 *
 * @param snaplen  longest frame stored; longer frames are cut and keep their
 *                 original length in the record.  0 means PCAPF_SNAPLEN_MAX.
 * @return the writer, or NULL with errno set.
 */
struct pcapf_writer *pcapf_writer_open(const char *path, uint32_t snaplen);

/**
 * Appends one frame of 'len' bytes, time-stamped 'ts_usec'.
 * @return 0 or a negative errno (write error).
 */
int pcapf_write(struct pcapf_writer *w, const void *frame, uint32_t len, uint64_t ts_usec);

/**
 * Flushes and closes the file and frees 'w'.  Accepts NULL.
 * @return 0, or a negative errno if some write or the close failed.
 */
int pcapf_writer_close(struct pcapf_writer *w);

/**
 * Opens 'path' and checks its file header.
 * @return the reader, or NULL with errno set: EINVAL for a file that is not
 *         pcap or is cut inside the header, ENOTSUP for a link type other
 *         than Ethernet.
 */
struct pcapf_reader *pcapf_reader_open(const char *path);

/**
 * Reads the next frame.  On success '*frame' points to 'rec->caplen' bytes
 * owned by the reader, valid until the next call or pcapf_reader_close().
 *
 * @return 1 with a frame; 0 at the end of the file; -EINVAL when the file is
 *         cut inside a record or a record is corrupt (caplen above
 *         PCAPF_SNAPLEN_MAX); -EIO on a read error.  After an error every
 *         further call returns 0.
 */
int pcapf_read(struct pcapf_reader *r, const uint8_t **frame, struct pcapf_rec *rec);

/** Snapshot length from the file header. */
uint32_t pcapf_reader_snaplen(const struct pcapf_reader *r);

/** Closes the file and frees 'r'.  Accepts NULL. */
void pcapf_reader_close(struct pcapf_reader *r);

#endif /* PCAP_FILE_H */
