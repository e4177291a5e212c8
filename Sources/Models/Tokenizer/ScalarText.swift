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

    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    /// `byteOffsets[i]` is where scalar i starts in `bytes`; one extra entry holds `bytes.count`.
    var byteOffsets: [Int32] = []
    var bytes: [UInt8] = []

    var count: Int { scalars.count }

    /// Decodes `utf8` (valid UTF-8, since it comes from a Swift String) into this buffer, reusing storage.
    mutating func load<C: Collection>(_ utf8: C) where C.Element == UInt8 {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: utf8)
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        byteOffsets.removeAll(keepingCapacity: true)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = UInt32(bytes[i])
            var value: UInt32
            var width: Int
            if b0 < 0x80 {
                value = b0; width = 1
            } else if b0 < 0xE0 {
                value = (b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F); width = 2
            } else if b0 < 0xF0 {
                value = (b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F); width = 3
            } else {
                value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F); width = 4
            }
            scalars.append(value)
            classes.append(ScalarText.classify(value))
            byteOffsets.append(Int32(i))
            i += width
        }
        byteOffsets.append(Int32(n))
    }

    static let asciiClasses: [UInt8] = (0..<128).map { classifySlow(UInt32($0)) }

    @inline(__always)
    static func classify(_ value: UInt32) -> UInt8 {
        value < 128 ? asciiClasses[Int(value)] : classifySlow(value)
    }

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
