import struct Data.DataDirectory
import enum Data.CSVReader
/// `mmlu/{dev,test}/<subject>_{split}.csv`: header `question,choice0,choice1,choice2,choice3,answer`.
public enum MMLULoader: DocumentFileLoader {
    static let header = ["question", "choice0", "choice1", "choice2", "choice3", "answer"]

    public static func parse(_ text: String, file: String) throws -> [MMLURow] {
        let records = try CSVReader.parse(text, file: file)
        guard let first = records.first else {
            throw EvaluationError.malformedRow(file: file, location: "line 1", field: nil, reason: "empty file (expected a header)")
        }
        guard first.fields == header else {
            throw EvaluationError.malformedRow(file: file, location: "line \(first.line)", field: nil,
                                               reason: "header is \(first.fields.joined(separator: ",")), expected \(header.joined(separator: ","))")
        }
        return try records.dropFirst().map { r in
            guard r.fields.count == header.count else {
                throw EvaluationError.malformedRow(file: file, location: "line \(r.line)", field: nil,
                                                   reason: "\(r.fields.count) fields, expected \(header.count)")
            }
            guard let answer = Int(r.fields[5]), (0...3).contains(answer) else {
                throw EvaluationError.malformedRow(file: file, location: "line \(r.line)", field: "answer",
                                                   reason: "'\(r.fields[5])' is not 0–3")
            }
            return MMLURow(question: r.fields[0], choices: Array(r.fields[1...4]), answer: answer, line: r.line)
        }
    }
}
