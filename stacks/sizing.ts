/**
 * Memory sizing for the VPP container, from what VPP maps for this configuration.
 *
 * - AF_PACKET rings of `create host-interface` (locked in memory because the process holds
 *   IPC_LOCK), as VPP's af_packet plugin sizes them by default (src/plugins/af_packet):
 *   - TPACKET_V3 (the POC's): receive 160 blocks of 64 KiB = 10,485,760 B, transmit 1 block of
 *     1024 frames of 67,584 B = 69,206,016 B; 79,691,776 B (76 MiB) in all, as the POC's
 *     `show hardware-interfaces` shows;
 *   - TPACKET_V2: receive and transmit each 1024 frames of 67,584 B = 69,206,016 B;
 *     138,412,032 B (132 MiB) in all.
 * - VPP's main heap: 1 GiB by default (`memory { main-heap-size }`); the POC's VPP shows an
 *   RSS of 1.2 GiB at idle with an empty cache.
 * - The stats segment (32 MiB by default), the API segment, the binary and its plugins: 128 MiB.
 * - The static HTTP server's cache: `httpCacheSize`.
 */
import type { AfPacketVersion } from "../components/vppConfig";

const MiB = 2 ** 20;

/** One frame of VPP's AF_PACKET rings: room for a 65,535-byte packet and its headers. */
export const AF_PACKET_FRAME_BYTES = 67584;
/** Frames a ring holds by default, in either version. */
export const AF_PACKET_FRAMES = 1024;

/** Bytes of the receive and transmit rings together, locked in memory. */
export function afPacketRingsBytes(version: AfPacketVersion): number {
    const tx = AF_PACKET_FRAMES * AF_PACKET_FRAME_BYTES;
    const rx = version === 3 ? 160 * 64 * 1024 : AF_PACKET_FRAMES * AF_PACKET_FRAME_BYTES;
    return rx + tx;
}

export const VPP_MAIN_HEAP_BYTES = 1024 * MiB;
export const VPP_SEGMENTS_BYTES = 128 * MiB;
/** Below this much heap room beyond the rings and the cache, VPP cannot start its plugins. */
export const VPP_MIN_HEAP_ROOM_BYTES = 256 * MiB;

/** The default memory request and limit: rings + heap + segments + cache. */
export function autoMemoryBytes(version: AfPacketVersion, httpCacheBytes: number): number {
    return afPacketRingsBytes(version) + VPP_MAIN_HEAP_BYTES + VPP_SEGMENTS_BYTES + httpCacheBytes;
}

/** The least an explicit `memory` may be: rings + cache + room for a small heap. */
export function minimumMemoryBytes(version: AfPacketVersion, httpCacheBytes: number): number {
    return afPacketRingsBytes(version) + httpCacheBytes + VPP_MIN_HEAP_ROOM_BYTES;
}

/** Bytes as a Kubernetes quantity in MiB, rounded up. */
export function formatMebibytes(bytes: number): string {
    return `${Math.ceil(bytes / MiB)}Mi`;
}
