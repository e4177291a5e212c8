/// Text decoded once into Unicode scalars with the regex character class of each, plus the UTF-8
/// offset where each scalar starts, so pre-tokenizers scan integers and pieces slice raw bytes.
struct ScalarText {
    /// Character classes the pre-tokenizer regexes distinguish: `\p{L}`, `\p{N}`, `\s`, or anything else.
    enum Class {
        static let other: UInt8 = 0
        static let letter: UInt8 = 1
        static let number: UInt8 = 2
        static let whitespace: UInt8 = 3
    }

    /// Storage is reused between texts and may be longer than `count`.
    private(set) var scalars: [UInt32] = []
    private(set) var classes: [UInt8] = []
    /// `byteOffsets[i]` is where scalar i starts in `bytes`; entry `count` holds the byte length.
    private(set) var byteOffsets: [Int32] = []
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    /// Decodes `utf8` (valid UTF-8, since it comes from a Swift String) into this buffer.
    mutating func load<C: Collection>(_ utf8: C) where C.Element == UInt8 {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: utf8)
        let n = bytes.count
        if scalars.count < n || byteOffsets.isEmpty {
            let size = max(n, 2 * scalars.count, 64)
            scalars = [UInt32](repeating: 0, count: size)
            classes = [UInt8](repeating: 0, count: size)
            byteOffsets = [Int32](repeating: 0, count: size + 1)
        }
        let ascii = ScalarText.asciiClasses
        var k = 0
        bytes.withUnsafeBufferPointer { b in
            scalars.withUnsafeMutableBufferPointer { sc in
                classes.withUnsafeMutableBufferPointer { cl in
                    byteOffsets.withUnsafeMutableBufferPointer { off in
                        var i = 0
                        while i < n {
                            let b0 = UInt32(b[i])
                            var value: UInt32
                            var width: Int
                            if b0 < 0x80 {
                                sc[k] = b0; cl[k] = ascii[Int(b0)]; off[k] = Int32(i)
                                k += 1; i += 1
                                continue
                            } else if b0 < 0xE0 {
                                value = (b0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F); width = 2
                            } else if b0 < 0xF0 {
                                value = (b0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F); width = 3
                            } else {
                                value = (b0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12
                                    | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F); width = 4
                            }
                            sc[k] = value; cl[k] = ScalarText.classifySlow(value); off[k] = Int32(i)
                            k += 1; i += width
                        }
                        off[k] = Int32(n)
                    }
                }
            }
        }
        count = k
    }

    static let asciiClasses: [UInt8] = (0..<128).map { classifySlow(UInt32($0)) }

    /// `\s` is the Unicode White_Space property (as in Oniguruma and llama.cpp); `\p{L}` and `\p{N}`
    /// are general categories — not `isAlphabetic`, which would wrongly include combining marks.
    static func classifySlow(_ value: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(value) else { return Class.other }
        if s.properties.isWhitespace { return Class.whitespace }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return Class.letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return Class.number
        default:
            return Class.other
        }
    }
}
