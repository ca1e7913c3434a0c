// Bytes the process has allocated and not freed (glibc: mallinfo2, summed over every arena,
// including blocks served by mmap), so the soak bounds memory in use rather than resident pages
// that freed-but-fragmented arenas keep. Returns 0 where mallinfo2 is unavailable.
#pragma once
#include <stddef.h>

size_t heap_bytes_in_use(void);
