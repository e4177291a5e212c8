/// GPT-2's reversible byte → printable-character mapping: bytes that are printable Latin-1
/// (33...126, 161...172, 174...255) stand for themselves; the other 68 bytes are shifted to
/// U+0100 onwards in byte order, so a space (0x20) becomes "Ġ" (U+0120) and "\n" becomes "Ċ".
public enum ByteLevelAlphabet {
    /// The character (as a Unicode scalar value) that stands for each byte.
    public static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(UInt8(b)) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarForByte`, indexed by scalar value 0..<324; -1 where no byte maps there.
    public static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in scalarForByte.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    static func isPrintable(_ b: UInt8) -> Bool {
        (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
    }

    /// The byte-level spelling of raw bytes, e.g. " hi" → "Ġhi".
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(scalarForByte[Int(b)])!) }
        return String(s)
    }

    /// The raw bytes behind a byte-level token string, or nil if it contains a character outside the alphabet.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            let v = Int(s.value)
            guard v < byteForScalar.count, byteForScalar[v] >= 0 else { return nil }
            out.append(UInt8(byteForScalar[v]))
        }
        return out
    }
}
