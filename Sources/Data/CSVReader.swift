import Foundation

/// The one CSV reader: RFC 4180 (quoted fields, doubled quotes, newlines inside quotes) as Python's
/// `csv` module reads the MMLU and Flan source files, keeping each record's first line number for
/// error messages. Hand-written rather than SwiftCSV or CSV.swift because neither reports the line
/// a record starts on, which every malformed-row error here names. Empty lines are skipped.
public enum CSVReader {
    public struct Record: Sendable { public let line: Int; public let fields: [String] }

    public static func parse(_ text: String, file: String) throws -> [Record] {
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
                    throw DataError.malformedRow(file: file, line: line, reason: "unexpected character after a closing quote")
                }
                field.append(c); fieldStarted = true
            }
            i += 1
        }
        if inQuotes {
            throw DataError.malformedRow(file: file, line: recordLine, reason: "quoted field is not closed before the end of the file")
        }
        if fieldStarted || !fields.isEmpty || !field.isEmpty { endRecord() }
        return records
    }
}
