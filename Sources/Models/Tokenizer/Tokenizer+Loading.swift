import Foundation

extension Tokenizer {
    /// The tokenizer of a model checkpoint, the way `LanguageModel` finds the weights: a GGUF file
    /// (its `tokenizer.*` metadata) or a Hugging Face folder (`tokenizer.json` + `tokenizer_config.json`).
    public static func load(modelAt url: URL) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TokenizerError.unreadable(file: url.path, reason: "no such file or folder")
        }
        return isDirectory.boolValue ? try fromHuggingFace(directory: url) : try fromGGUF(url: url)
    }
}
