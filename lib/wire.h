/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds-checked reader and writer for every wire format dpike parses or builds.
 * A failed read or write sets a sticky error flag, so a parser can do a run of
 * reads and check once; nothing is ever read or written past the buffer.
 */
#ifndef DPIKE_LIB_WIRE_H
#define DPIKE_LIB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
	bool bad;
};

struct wire_writer {
	uint8_t *buf;
	size_t cap;
	size_t off;
	bool bad;
};

static inline void wire_reader_init(struct wire_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->bad = false;
}

static inline size_t wire_left(const struct wire_reader *r)
{
	return r->bad ? 0 : r->len - r->off;
}

static inline bool wire_ok(const struct wire_reader *r)
{
	return !r->bad;
}

/* Returns a pointer to the next n bytes and consumes them, or NULL. */
static inline const uint8_t *wire_take(struct wire_reader *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->buf + r->off;
	r->off += n;
	return p;
}

static inline const uint8_t *wire_peek(const struct wire_reader *r, size_t n)
{
	if (r->bad || n > r->len - r->off)
		return NULL;
	return r->buf + r->off;
}

static inline bool wire_skip(struct wire_reader *r, size_t n)
{
	return wire_take(r, n) != NULL;
}

static inline bool wire_get_bytes(struct wire_reader *r, void *out, size_t n)
{
	const uint8_t *p = wire_take(r, n);
	if (p == NULL)
		return false;
	memcpy(out, p, n);
	return true;
}

static inline uint8_t wire_get_u8(struct wire_reader *r)
{
	const uint8_t *p = wire_take(r, 1);
	return p ? p[0] : 0;
}

static inline uint16_t wire_get_be16(struct wire_reader *r)
{
	const uint8_t *p = wire_take(r, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static inline uint32_t wire_get_be32(struct wire_reader *r)
{
	const uint8_t *p = wire_take(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

/* A sub-reader over the next n bytes (a payload body), consumed from r. */
static inline struct wire_reader wire_sub(struct wire_reader *r, size_t n)
{
	struct wire_reader s;
	const uint8_t *p = wire_take(r, n);
	wire_reader_init(&s, p, p ? n : 0);
	s.bad = p == NULL;
	return s;
}

static inline void wire_writer_init(struct wire_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->off = 0;
	w->bad = false;
}

/* Reserves n bytes and returns them for the caller to fill, or NULL. */
static inline uint8_t *wire_reserve(struct wire_writer *w, size_t n)
{
	if (w->bad || n > w->cap - w->off) {
		w->bad = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->off;
	w->off += n;
	return p;
}

static inline bool wire_put_bytes(struct wire_writer *w, const void *src, size_t n)
{
	uint8_t *p = wire_reserve(w, n);
	if (p == NULL)
		return false;
	memcpy(p, src, n);
	return true;
}

static inline bool wire_put_u8(struct wire_writer *w, uint8_t v)
{
	return wire_put_bytes(w, &v, 1);
}

static inline bool wire_put_be16(struct wire_writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return wire_put_bytes(w, b, 2);
}

static inline bool wire_put_be32(struct wire_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return wire_put_bytes(w, b, 4);
}

/* Writes a 16-bit big-endian value at an earlier offset (a length filled in later). */
static inline bool wire_patch_be16(struct wire_writer *w, size_t at, uint16_t v)
{
	if (w->bad || at + 2 > w->off)
		return false;
	w->buf[at] = (uint8_t)(v >> 8);
	w->buf[at + 1] = (uint8_t)v;
	return true;
}

#endif
