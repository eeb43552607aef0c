// The colours of the things copyscope shows, one table for every picture: the
// window (ui/ converts them to ImGui's), the report's SVG charts and diagrams (export/svg).
// Colours of chrome (backgrounds, text, grid) belong to each theme, not here.
#pragma once

#include <cstdint>

namespace copyscope {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

namespace palette {

// How bytes moved: the diagram's arrows, the plots' series, the charts' bars.
inline constexpr Rgb kCpuCopy{232, 80, 32};    // drawn only where the run copied
inline constexpr Rgb kDma{40, 120, 232};       // a device moved them
inline constexpr Rgb kPageRef{140, 140, 140};  // pages shared or referenced (drawn dashed): nothing copied
// Loopback has no NIC: the stage where the textbook has the NIC's DMA is done
// in software. Drawn dashed in the DMA's colour, so it reads as "in place of DMA".
inline constexpr Rgb kHandoff = kDma;
inline constexpr Rgb kBlockIo = kDma;          // disk requests are the disk's DMA
inline constexpr Rgb kDelivered{40, 170, 90};  // bytes that reached the sink: throughput, transmits

// What the threads and the kernel did.
inline constexpr Rgb kModeSwitch{214, 170, 0};
inline constexpr Rgb kContextSwitch{170, 80, 200};
inline constexpr Rgb kPageFault{200, 60, 120};
inline constexpr Rgb kSignal{200, 40, 120};  // a signal the kernel sends (SIGBUS)
inline constexpr Rgb kPhase{110, 110, 200};  // the scenario's transfer phase: its markers, the plots' shading

// Who did it: a mark beside each thread's lane.
inline constexpr Rgb kSender{0, 150, 150};
inline constexpr Rgb kReceiver{150, 120, 210};
inline constexpr Rgb kInterrupt{150, 150, 150};  // softirq / IRQ context, no thread of ours

// Measured against the textbook.
inline constexpr Rgb kMatches{38, 166, 64};
inline constexpr Rgb kDiffers{217, 64, 51};

// Syscall spans: told apart by hue, each assigned by the view (by number or
// by first use). kMixed is several calls merged into one span at a coarse zoom.
inline constexpr Rgb kSyscalls[] = {{70, 150, 220},  {230, 140, 50}, {90, 180, 120}, {200, 90, 160},
                                    {150, 120, 220}, {60, 180, 190}, {210, 190, 70}};
inline constexpr Rgb kMixed{150, 150, 150};

}  // namespace palette

}  // namespace copyscope
