import XCTest
import Engine
import Models
import TestSupport

/// Dequantization of the formats the fixtures lack (Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F16,
/// BF16): each test draws the *logical* quantities (scales, mins, integer codes), packs them into
/// blocks following the format's layout, and expects exactly the float32 arithmetic of ggml's
/// reference dequantizers applied to those logical values.
final class QuantizedBlockTests: XCTestCase {
    var rng = SplitMix64(seed: 2024)

    func half(_ x: Float) -> (bits: [UInt8], value: Float) {
        let h = Float16(x)
        return (withUnsafeBytes(of: h.bitPattern.littleEndian) { Array($0) }, Float(h))
    }
    func int(_ upper: Int) -> Int { Int(rng.next() % UInt64(upper)) }
    func real(_ scale: Float) -> Float { Float(rng.nextUniform() * 2 - 1) * scale }

    /// Dequantizes `blocks` through a one-tensor GGUF file (the real reading path).
    func dequantize(_ type: GGMLType, bytes: [UInt8], elements: Int) throws -> [Float] {
        let url = try GGUFWriter(metadata: [("general.architecture", .string("llama"))],
                                 tensors: [.init(name: "t", ne: [elements], type: type, bytes: bytes)]).write(name: "quant")
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(url: url).floats("t")
    }

    func assertBitExact(_ ours: [Float], _ expected: [Float], _ label: String) {
        XCTAssertEqual(ours.count, expected.count, label)
        let bad = zip(ours, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        XCTAssertTrue(bad.isEmpty, "\(label): \(bad.count) values differ, first at \(bad.first?.offset ?? -1): \(bad.first.map { "\($0.element.0) vs \($0.element.1)" } ?? "")")
    }

    func testQ4_0AndQ5_0AndQ5_1() throws {
        for type in [GGMLType.q4_0, .q5_0, .q5_1] {
            var bytes: [UInt8] = [], expected: [Float] = []
            for _ in 0..<3 {
                let d = half(real(0.1)), m = half(real(0.5))
                let bits = type == .q4_0 ? 4 : 5
                let codes = (0..<32).map { _ in int(1 << bits) }
                bytes += d.bits
                if type == .q5_1 { bytes += m.bits }
                if bits == 5 {
                    var qh: UInt32 = 0
                    for (i, q) in codes.enumerated() where q & 16 != 0 { qh |= 1 << UInt32(i) }
                    bytes += withUnsafeBytes(of: qh.littleEndian) { Array($0) }
                }
                for i in 0..<16 { bytes.append(UInt8(codes[i] & 15) | UInt8(codes[i + 16] & 15) << 4) }
                for q in codes {
                    switch type {
                    case .q4_0: expected.append(d.value * Float(q - 8))
                    case .q5_0: expected.append(d.value * Float(q - 16))
                    default: let scaled = d.value * Float(q); expected.append(scaled + m.value)
                    }
                }
            }
            assertBitExact(try dequantize(type, bytes: bytes, elements: 96), expected, type.name)
        }
    }

    /// Packs eight 6-bit scales and mins the way Q4_K/Q5_K store them (12 bytes).
    func packScalesMins(_ sc: [Int], _ mn: [Int]) -> [UInt8] {
        var s = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            s[j] = UInt8(sc[j] & 63) | UInt8((sc[j + 4] >> 4) & 3) << 6
            s[j + 4] = UInt8(mn[j] & 63) | UInt8((mn[j + 4] >> 4) & 3) << 6
            s[j + 8] = UInt8(sc[j + 4] & 15) | UInt8(mn[j + 4] & 15) << 4
        }
        return s
    }

    func testQ4_KAndQ5_K() throws {
        for type in [GGMLType.q4_K, .q5_K] {
            var bytes: [UInt8] = [], expected: [Float] = []
            for _ in 0..<2 {
                let d = half(real(0.05)), dmin = half(real(0.05))
                let sc = (0..<8).map { _ in int(64) }, mn = (0..<8).map { _ in int(64) }
                let codes = (0..<256).map { _ in int(type == .q4_K ? 16 : 32) }
                bytes += d.bits + dmin.bits + packScalesMins(sc, mn)
                if type == .q5_K {
                    // Bit 2p of qh[l] is the 5th bit of element 64p + l; bit 2p+1 of element 64p + 32 + l.
                    var qh = [UInt8](repeating: 0, count: 32)
                    for e in 0..<256 where codes[e] & 16 != 0 {
                        let p = e / 64, within = e % 64
                        qh[within % 32] |= 1 << UInt8(2 * p + within / 32)
                    }
                    bytes += qh
                }
                for p in 0..<4 { for l in 0..<32 {
                    bytes.append(UInt8(codes[64 * p + l] & 15) | UInt8(codes[64 * p + 32 + l] & 15) << 4)
                }}
                for e in 0..<256 {
                    let sub = e / 32
                    let scale = d.value * Float(sc[sub]), offset = dmin.value * Float(mn[sub])
                    expected.append(scale * Float(codes[e]) - offset)
                }
            }
            assertBitExact(try dequantize(type, bytes: bytes, elements: 512), expected, type.name)
        }
    }

    func testQ6_K() throws {
        var bytes: [UInt8] = [], expected: [Float] = []
        for _ in 0..<2 {
            let d = half(real(0.02))
            let scales = (0..<16).map { _ in int(256) - 128 }
            let codes = (0..<256).map { _ in int(64) }
            var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
            // Half n holds elements 128n..<128n+128; local position t = 32·g + l (g = 0..3, l = 0..<32).
            for e in 0..<256 {
                let n = e / 128, t = e % 128, g = t / 32, l = t % 32
                let q = codes[e]
                let lowByte = 64 * n + l + (g % 2 == 1 ? 32 : 0)
                ql[lowByte] |= UInt8(q & 15) << (g >= 2 ? 4 : 0)
                qh[32 * n + l] |= UInt8(q >> 4) << UInt8(2 * g)
            }
            bytes += ql + qh + scales.map { UInt8(bitPattern: Int8($0)) } + d.bits
            for e in 0..<256 {
                let n = e / 128, t = e % 128
                expected.append(d.value * Float(scales[8 * n + t / 16]) * Float(codes[e] - 32))
            }
        }
        assertBitExact(try dequantize(.q6_K, bytes: bytes, elements: 512), expected, "Q6_K")
    }

    func testF16AndBF16() throws {
        let values: [Float] = [0, -0, 1, -2.5, 65504, 6.1e-5, 3.14159, -1e-3]
        let f16 = values.map { half($0) }
        assertBitExact(try dequantize(.f16, bytes: f16.flatMap(\.bits), elements: values.count), f16.map(\.value), "F16")
        let bf16Bits = values.map { UInt16($0.bitPattern >> 16) }
        let bf16 = bf16Bits.map { Float(bitPattern: UInt32($0) << 16) }
        assertBitExact(try dequantize(.bf16, bytes: bf16Bits.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } },
                                      elements: values.count), bf16, "BF16")
    }
}
