// SHA-256 (FIPS 180-4) in plain Swift: config hashes, model fingerprints and the data manifest
// need it on Linux, where CryptoKit is absent and the package takes no crypto dependency.
import Foundation

public struct SHA256Hasher {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    private var w = [UInt32](repeating: 0, count: 64)

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

    public init() {}

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { raw in update(UnsafeBufferPointer(start: raw.bindMemory(to: UInt8.self).baseAddress, count: raw.count)) }
    }

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        length &+= UInt64(bytes.count)
        var offset = 0
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, bytes.count)
            buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: take))
            offset = take
            if buffer.count == 64 { buffer.withUnsafeBufferPointer { compress($0.baseAddress!) }; buffer.removeAll(keepingCapacity: true) }
        }
        while bytes.count - offset >= 64 { compress(base + offset); offset += 64 }
        if offset < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(start: base + offset, count: bytes.count - offset)) }
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail = buffer
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        tail.withUnsafeBufferPointer { p in
            var o = 0
            while o < p.count { compress(p.baseAddress! + o); o += 64 }
        }
        var out: [UInt8] = []
        for s in state { for i in (0..<4).reversed() { out.append(UInt8(truncatingIfNeeded: s >> (UInt32(i) * 8))) } }
        return out
    }

    private mutating func compress(_ p: UnsafePointer<UInt8>) {
        for i in 0..<16 {
            w[i] = UInt32(p[4*i]) << 24 | UInt32(p[4*i+1]) << 16 | UInt32(p[4*i+2]) << 8 | UInt32(p[4*i+3])
        }
        for i in 16..<64 {
            let a = w[i-15], b = w[i-2]
            let s0 = (a >> 7 | a << 25) ^ (a >> 18 | a << 14) ^ (a >> 3)
            let s1 = (b >> 17 | b << 15) ^ (b >> 19 | b << 13) ^ (b >> 10)
            w[i] = w[i-16] &+ s0 &+ w[i-7] &+ s1
        }
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for i in 0..<64 {
            let s1 = (e >> 6 | e << 26) ^ (e >> 11 | e << 21) ^ (e >> 25 | e << 7)
            let ch = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ ch &+ SHA256Hasher.k[i] &+ w[i]
            let s0 = (a >> 2 | a << 30) ^ (a >> 13 | a << 19) ^ (a >> 22 | a << 10)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }
}

public enum SHA256 {
    public static func hex(_ data: Data) -> String {
        var h = SHA256Hasher(); h.update(data); return hexString(h.finalize())
    }
    public static func hex(_ string: String) -> String { hex(Data(string.utf8)) }

    /// Streams the file in 1 MiB chunks so multi-gigabyte checkpoints are hashed without loading them.
    public static func hex(fileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var h = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { h.update(chunk) }
        return hexString(h.finalize())
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""; s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return s
    }
}
