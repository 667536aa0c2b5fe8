/**
 * Memory sizing for the VPP container, from what VPP maps for this configuration.
 *
 * - AF_PACKET rings of `create host-interface` (TPACKET_V3, locked in memory because the
 *   process holds IPC_LOCK): RX 160 blocks of 64 KiB = 10 MiB, TX 1 block of 69206016 bytes
 *   = 66 MiB; 76 MiB in all (the POC's `show hardware-interfaces`).
 * - VPP's main heap: 1 GiB by default (`memory { main-heap-size }`); the POC's VPP shows an
 *   RSS of 1.2 GiB at idle with an empty cache.
 * - The stats segment (32 MiB by default), the API segment, the binary and its plugins: 128 MiB.
 * - The static HTTP server's cache: `httpCacheSize`.
 */
const MiB = 2 ** 20;

export const AF_PACKET_RINGS_BYTES = 160 * 64 * 1024 + 69206016;
export const VPP_MAIN_HEAP_BYTES = 1024 * MiB;
export const VPP_SEGMENTS_BYTES = 128 * MiB;
/** Below this much heap room beyond the rings and the cache, VPP cannot start its plugins. */
export const VPP_MIN_HEAP_ROOM_BYTES = 256 * MiB;

/** The default memory request and limit: rings + heap + segments + cache, in whole MiB. */
export function autoMemoryBytes(httpCacheBytes: number): number {
    return AF_PACKET_RINGS_BYTES + VPP_MAIN_HEAP_BYTES + VPP_SEGMENTS_BYTES + httpCacheBytes;
}

/** The least an explicit `memory` may be: rings + cache + room for a small heap. */
export function minimumMemoryBytes(httpCacheBytes: number): number {
    return AF_PACKET_RINGS_BYTES + httpCacheBytes + VPP_MIN_HEAP_ROOM_BYTES;
}

/** Bytes as a Kubernetes quantity in MiB, rounded up. */
export function formatMebibytes(bytes: number): string {
    return `${Math.ceil(bytes / MiB)}Mi`;
}
