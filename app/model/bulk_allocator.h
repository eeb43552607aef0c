// An allocator for the event log, which grows to hundreds of MiB while a
// capture runs. With 4 KiB pages the capture thread took a page fault every
// 73 events (about 160 000 for 4 M events, most of its CPU time on a VM that
// isolates kernel page tables); large blocks here are mapped in 2 MiB units
// and asked for transparent huge pages, so a fault brings in 37 000 events.
// Blocks above half a huge page are mapped: a block just under 2 MiB from
// the heap would be 512 small faults (13 µs each on this VM) instead of one.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace copyscope {

namespace bulk {
inline constexpr size_t kHugePage = size_t{2} << 20;
inline size_t mapped_bytes(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

// Takes the page faults of the `bytes` of storage at p now, not later while
// a capture writes there. MADV_POPULATE_WRITE (Linux 5.14) where the kernel
// has it, else one write per page of the byte already there: either way the
// contents do not change.
inline void prefault(void* p, size_t bytes) {
  if (!p || !bytes) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = begin & ~(page - 1);
#ifdef MADV_POPULATE_WRITE
  if (madvise(reinterpret_cast<void*>(first), begin + bytes - first, MADV_POPULATE_WRITE) == 0) return;
#endif
  auto* bytes_at = static_cast<volatile unsigned char*>(p);
  for (uintptr_t at = 0; at < bytes; at += page - (begin + at) % page) bytes_at[at] = bytes_at[at];
}
}  // namespace bulk

template <typename T>
struct BulkAllocator {
  using value_type = T;

  BulkAllocator() = default;
  template <typename U>
  BulkAllocator(const BulkAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes <= bulk::kHugePage / 2) return static_cast<T*>(::operator new(bytes));
    // NORESERVE: a reservation far above what gets used must not count
    // against the machine's commit limit.
    void* p = mmap(nullptr, bulk::mapped_bytes(bytes), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bulk::mapped_bytes(bytes), MADV_HUGEPAGE);  // advice: refused where THP is off, and that is fine
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes <= bulk::kHugePage / 2)
      ::operator delete(p);
    else
      munmap(p, bulk::mapped_bytes(bytes));
  }

  // resize() leaves new elements default-initialised (for an event record:
  // not written at all), so that growing the log to copy a batch into it
  // writes each byte once, not zeros first.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const BulkAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace copyscope
