import Foundation
import XCTest
import Data

/// Error messages name the file and line of a bad row, and the path of a missing file.
final class DataErrorTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("gsm8k"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testMissingFileNamesThePathAndSuggestsSetup() {
        let dir = DataDirectory(root: folder)
        XCTAssertThrowsError(try FiveTaskCatalog.physicalIQA.loadPool(from: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(self.folder.appendingPathComponent("piqa/valid.jsonl").path), text)
            XCTAssertTrue(text.contains("make setup"), text)
            XCTAssertTrue(text.contains("--data-dir"), text)
        }
    }

    func testMalformedRowNamesFileAndLine() throws {
        let good = #"{"question": "1+1?", "answer": "1+1 = 2\n#### 2"}"#
        try (good + "\n" + good + "\n{not json\n").write(to: folder.appendingPathComponent("gsm8k/train.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FiveTaskCatalog.gsm8k.loadPool(from: DataDirectory(root: folder))) {
            XCTAssertEqual($0 as? DataError, .malformedRow(file: "gsm8k/train.jsonl", line: 3, reason: "not a JSON object"))
        }
        try (good + "\n" + #"{"question": "2+2?", "answer": "4"}"# + "\n").write(to: folder.appendingPathComponent("gsm8k/train.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FiveTaskCatalog.gsm8k.loadPool(from: DataDirectory(root: folder))) {
            XCTAssertEqual($0 as? DataError, .malformedRow(file: "gsm8k/train.jsonl", line: 2, reason: "answer has no '#### <number>' line"))
            XCTAssertTrue("\($0)".contains("gsm8k/train.jsonl, line 2"))
        }
    }

    func testCSVQuotingAndLabelRange() throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("cosmosqa"), withIntermediateDirectories: true)
        let csv = "id,context,question,answer0,answer1,answer2,answer3,label\r\n"
            + "a,\"A context, with a comma and \"\"quotes\"\"\nover two lines\",Why?,w,x,y,z,2\r\n"
            + "b,ctx,Why?,w,x,y,z,7\r\n"
        try csv.write(to: folder.appendingPathComponent("cosmosqa/valid.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FiveTaskCatalog.cosmosQA.loadPool(from: DataDirectory(root: folder))) {
            XCTAssertEqual($0 as? DataError, .malformedRow(file: "cosmosqa/valid.csv", line: 4, reason: "label '7' is not in 0...3"))
        }
        try csv.components(separatedBy: "b,ctx")[0].write(to: folder.appendingPathComponent("cosmosqa/valid.csv"), atomically: true, encoding: .utf8)
        let pool = try FiveTaskCatalog.cosmosQA.loadPool(from: DataDirectory(root: folder))
        XCTAssertEqual(pool.count, 1)
        XCTAssertTrue(pool[0].input.hasPrefix("Passage: A context, with a comma and \"quotes\"\nover two lines\nQuestion: Why?"))
        XCTAssertEqual(pool[0].output, "y")
    }

    func testDataDirectoryResolution() {
        XCTAssertEqual(DataDirectory.resolve(explicit: "/x/y", environment: ["METALORA_DATA": "/env"]).root.path, "/x/y")
        XCTAssertEqual(DataDirectory.resolve(explicit: nil, environment: ["METALORA_DATA": "/env"]).root.path, "/env")
        XCTAssertEqual(DataDirectory.resolve(explicit: nil, environment: [:]).root.lastPathComponent, "data")
    }
}
