#ifndef CMALLOCINFO_H
#define CMALLOCINFO_H

/// Bytes glibc's allocator holds for the program: `mallinfo2().uordblks` (chunks in use
/// in all arenas, with their 8-byte chunk headers) plus `hblkhd` (mmapped chunks).
/// -1 where mallinfo2 is not available (not glibc, or glibc older than 2.33).
long long cmallocinfo_bytes_in_use(void);

#endif
