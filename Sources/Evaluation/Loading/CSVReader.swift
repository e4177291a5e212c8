/// RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes) as Python's `csv` module
/// reads the MMLU files, keeping each record's first line number for error messages.
enum CSVReader {
    struct Record { let line: Int; let fields: [String] }

    static func parse(_ text: String, file: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false, fieldStarted = false, justClosedQuote = false
        var line = 1, recordLine = 1
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func endField() { fields.append(String(field)); field = .init(); fieldStarted = false; justClosedQuote = false }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" { field.append("\""); i += 1 }
                    else { inQuotes = false; justClosedQuote = true }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && !fieldStarted {
                inQuotes = true; fieldStarted = true
            } else if c == "," {
                endField()
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1; recordLine = line
            } else {
                if justClosedQuote {
                    throw EvaluationError.malformedRow(file: file, location: "line \(line)", field: nil,
                                                       reason: "unexpected character after a closing quote")
                }
                field.append(c); fieldStarted = true
            }
            i += 1
        }
        if inQuotes {
            throw EvaluationError.malformedRow(file: file, location: "line \(recordLine)", field: nil,
                                               reason: "quoted field is not closed before the end of the file")
        }
        if fieldStarted || !fields.isEmpty || !field.isEmpty { endRecord() }
        return records
    }
}
