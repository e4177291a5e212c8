/// Pre-token bytes → token ids, for BPE results. An open-addressing table over two flat arenas
/// (key bytes, id values), so a lookup hashes raw bytes and compares them in place: no String,
/// no per-entry allocation. When it fills up it is simply cleared. Not thread-safe by itself.
struct WordCache {
    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1  // -1: empty
        var keyLength: Int32 = 0
        var valueStart: Int32 = 0
        var valueCount: Int32 = 0
    }

    private var slots: [Slot]
    private var keys: [UInt8] = []
    private var values: [Int32] = []
    private var used = 0
    private var mask: Int
    private let maxSlots: Int

    /// Starts small and doubles up to `maxSlots` (rounded to a power of two) slots; the table holds
    /// at most half as many words before it is cleared.
    init(maxSlots: Int) {
        var n = 16
        while n < maxSlots { n <<= 1 }
        self.maxSlots = n
        let initial = min(n, 4096)
        slots = [Slot](repeating: Slot(), count: initial)
        mask = initial - 1
    }

    /// FNV-1a over the bytes, then a final mix so the low bits (the slot index) are well spread.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    /// Appends the cached ids of `key` to `output` and returns true, or returns false.
    func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, into output: inout [Int32]) -> Bool {
        var i = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[i]
                if slot.keyStart < 0 { return false }
                if slot.hash == hash && Int(slot.keyLength) == key.count && matches(slot, key) {
                    let start = Int(slot.valueStart)
                    values.withUnsafeBufferPointer { v in
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: v[start..<(start + Int(slot.valueCount))]))
                    }
                    return true
                }
                i = (i + 1) & mask
            }
        }
    }

    private func matches(_ slot: Slot, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        keys.withUnsafeBufferPointer { k in
            let start = Int(slot.keyStart)
            for j in 0..<key.count where k[start + j] != key[j] { return false }
            return true
        }
    }

    /// Stores `ids` for `key` (which must not be present yet).
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int32>) {
        if (used + 1) * 2 > slots.count || keys.count + key.count > Int(Int32.max) / 2 {
            if slots.count < maxSlots && keys.count + key.count <= Int(Int32.max) / 2 {
                grow()
            } else {
                for s in slots.indices { slots[s] = Slot() }
                keys.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
                used = 0
            }
        }
        place(Slot(hash: hash, keyStart: Int32(keys.count), keyLength: Int32(key.count),
                   valueStart: Int32(values.count), valueCount: Int32(ids.count)))
        keys.append(contentsOf: key)
        values.append(contentsOf: ids)
        used += 1
    }

    private mutating func place(_ slot: Slot) {
        var i = Int(truncatingIfNeeded: slot.hash) & mask
        while slots[i].keyStart >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    /// Doubles the table, re-placing entries by their stored hash (the arenas stay as they are).
    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.keyStart >= 0 { place(slot) }
    }
}
