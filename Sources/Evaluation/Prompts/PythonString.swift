/// Python `str` operations the lm-eval templates use, on Unicode scalars (Python indexes code
/// points, not grapheme clusters — this matters for Thai, Tamil and Hindi text).
public enum PythonString {
    /// `str.isspace`: the Unicode White_Space property plus the ASCII information separators
    /// U+001C…U+001F, which Python also treats as whitespace.
    public static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }

    /// `s.strip()`.
    public static func strip(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, isSpace(scalars[lo]) { lo += 1 }
        while hi > lo, isSpace(scalars[hi - 1]) { hi -= 1 }
        return makeString(scalars[lo..<hi])
    }

    /// `s[:-1]` — drops the last code point (an empty string stays empty).
    public static func dropLast(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        return makeString(scalars[..<max(0, scalars.count - 1)])
    }

    /// `s[0].lower() + s[1:]`.
    public static func lowercaseFirst(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        let rest = makeString(Array(s.unicodeScalars).dropFirst())
        return String(first).lowercased() + rest
    }

    /// `len(s)`: the number of code points.
    public static func length(_ s: String) -> Int { s.unicodeScalars.count }

    static func makeString(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
