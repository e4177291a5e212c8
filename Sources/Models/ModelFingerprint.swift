import Foundation
import Engine

/// The one model hash: SHA-256 of a checkpoint file, or for a folder, of its listing
/// "name sha256\n" over every regular file at its top level in name order. Every file counts,
/// not only the ones a loader reads today, so any change to the folder shows as a new hash; results
/// stores record this value with each run (`model_sha256`), and reports name its first 12 digits.
public enum ModelFingerprint {
    public static func sha256(of url: URL) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        if !isDirectory.boolValue { return try SHA256.hex(ofFile: url) }
        var listing = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() {
            let file = url.appendingPathComponent(name)
            var isSubdirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file.path, isDirectory: &isSubdirectory), !isSubdirectory.boolValue {
                listing += "\(name) \(try SHA256.hex(ofFile: file))\n"
            }
        }
        return SHA256.hex(of: listing)
    }
}
