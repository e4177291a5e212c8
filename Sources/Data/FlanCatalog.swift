import Foundation

/// The Flanv2 subset of appendix A.1.1 (following HydraLoRA): 10 clusters of NLU and NLG
/// datasets, mapped onto the raw copies in `data/flan/` (see `provenance/manifest-part2.md`).
///
/// Count: the appendix names 42 datasets, but ARC stands for two FLAN tasks (ARC-Challenge and
/// ARC-Easy), which gives the 43 of section 4.1.1 and Table 3. DROP is in the list but has no
/// copy in the mirror: it is recorded as missing, never silently dropped.
///
/// Instructions paraphrase FLAN's templates (one natural instruction per task); multiple-choice
/// targets are option texts, classification targets are label words.
public enum FlanCatalog {
    public enum Cluster {
        public static let structToText = "struct-to-text"
        public static let translation = "translation"
        public static let commonsense = "commonsense-reasoning"
        public static let sentiment = "sentiment-analysis"
        public static let paraphrase = "paraphrase-detection"
        public static let coreference = "coreference-resolution"
        public static let readingComprehension = "reading-comprehension"
        public static let readingCommonsense = "reading-comprehension-with-commonsense"
        public static let inference = "natural-language-inference"
        public static let closedBookQA = "closed-book-qa"
        /// In appendix A.1.1 order.
        public static let all = [structToText, translation, commonsense, sentiment, paraphrase, coreference,
                                 readingComprehension, readingCommonsense, inference, closedBookQA]
    }

    /// A dataset of the appendix list that the mirror does not hold.
    public struct MissingDataset: Sendable, Equatable {
        public let name: String
        public let cluster: String
        public let reason: String
    }

    static let f = "flan/"
    static func seeds(_ task: String, splits: [String] = ["train", "dev"]) -> [String] {
        [13, 21, 42, 87, 100].flatMap { seed in splits.map { "\(f)crossfit-kshot/\(task)/\(task)_16_\(seed)_\($0).jsonl" } }
    }

    static func translation(_ id: String, _ name: String, _ dir: String, _ target: String, _ language: String, notes: String = "") -> TaskSpec {
        TaskSpec(id: id, name: name, cluster: Cluster.translation,
                 sourceFiles: ["\(f)wmt/\(dir).en", "\(f)wmt/\(dir).\(target)"],
                 instruction: "Translate the following English text into \(language).",
                 targetForm: "the line-aligned \(language) reference translation", notes: notes,
                 loader: FlanLoaders.parallel())
    }

    static let polarity: @Sendable (String) -> String? = { $0 == "1" ? "positive" : $0 == "0" ? "negative" : nil }
    static let entailment3: @Sendable (String) -> String? = { ["entailment", "neutral", "contradiction"].contains($0) ? $0 : nil }
    static let entailYesNo: @Sendable (String) -> String? = {
        switch $0 { case "entailment", "1": return "yes"; case "not_entailment", "0": return "no"; default: return nil }
    }

    public static let tasks: [TaskSpec] = [
        // 1. Struct-to-text conversion
        TaskSpec(id: "commongen", name: "CommonGen", cluster: Cluster.structToText,
                 sourceFiles: ["\(f)commongen/commongen/commongen.train.src_alpha.txt", "\(f)commongen/commongen/commongen.train.tgt.txt"],
                 instruction: "Write one everyday sentence that uses all of the following concepts.",
                 targetForm: "the line-aligned reference sentence", notes: "Jan-2020 release, 39,069 train pairs (HF common_gen has 67,389)",
                 loader: FlanSourceLoaders.commonGen),
        TaskSpec(id: "dart", name: "DART", cluster: Cluster.structToText,
                 sourceFiles: ["\(f)dart/data/v1.1.1/dart-v1.1.1-full-dev.json"],
                 instruction: "Write a sentence that describes the following data triples (subject | relation | object).",
                 targetForm: "the first annotation's text", notes: "DART v1.1.1 dev (the train file is not in the mirror)",
                 loader: FlanSourceLoaders.dart),
        TaskSpec(id: "e2e-nlg", name: "E2ENLG", cluster: Cluster.structToText, sourceFiles: ["\(f)e2e/devset.csv"],
                 instruction: "Describe this restaurant in natural language, using all of the attributes given.",
                 targetForm: "the row's human reference (`ref`)", notes: "E2E dev set (4,672 mr/ref pairs); the train CSV is not in the mirror",
                 loader: FlanSourceLoaders.e2e),
        TaskSpec(id: "webnlg", name: "WebNLG", cluster: Cluster.structToText, sourceFiles: ["\(f)webnlg/data/v1.6/en/dev"],
                 instruction: "Write a short text that expresses all of the following facts (subject | relation | object).",
                 targetForm: "the entry's first <text> lexicalisation", notes: "WebNLG v1.6 English dev (all triple sizes); one example per entry",
                 loader: FlanSourceLoaders.webNLG),
        // 2. Translation
        translation("wmt14-en-fr", "WMT'14 En-Fr", "2014/en-fr/newstest2014", "fr", "French"),
        translation("wmt16-en-de", "WMT'16 En-De", "2016/en-de/newstest2016", "de", "German"),
        translation("wmt16-en-tr", "WMT'16 En-Tr", "2016/en-tr/newstest2016", "tr", "Turkish"),
        translation("wmt16-en-ru", "WMT'16 En-Ru", "2016/en-ru/newstest2016", "ru", "Russian"),
        translation("wmt16-en-fi", "WMT'16 En-Fi", "2016/en-fi/newstest2016", "fi", "Finnish"),
        translation("wmt16-en-ro", "WMT'16 En-Ro", "2016/en-ro/newstest2016", "ro", "Romanian"),
        translation("paracrawl-en-es", "Paracrawl En-Es", "2013/newstest2013", "es", "Spanish",
                    notes: "SUBSTITUTE: WMT13 newstest en-es stands in for Paracrawl en-es, which is not in the mirror"),
        // 3. Commonsense reasoning
        TaskSpec(id: "copa", name: "COPA", cluster: Cluster.commonsense,
                 sourceFiles: ["\(f)superglue/COPA/train.jsonl", "\(f)superglue/COPA/dev32.jsonl", "\(f)superglue/COPA/val.jsonl"],
                 instruction: "Choose the more plausible alternative.", targetForm: "the text of choice1/choice2 named by label (0/1)",
                 notes: "SuperGLUE COPA: FewGLUE train 32 + dev32 32 + full validation 100",
                 loader: FlanLoaders.superGLUE { row in
                     let choices = [try row.string("choice1"), try row.string("choice2")]
                     let label = try PromptText.labelIndex(try row.string("label"), base: 0, count: 2, file: row.file, line: row.line)
                     let relation = try row.string("question") == "cause" ? "What was the cause?" : "What happened as a result?"
                     return ("Premise: \(try row.string("premise"))\n\(relation)\n\(PromptText.options(choices))", choices[label])
                 }),
        TaskSpec(id: "hellaswag", name: "HellaSwag", cluster: Cluster.commonsense, sourceFiles: ["\(f)hellaswag/hellaswag_val_full.txt"],
                 instruction: "Choose the most plausible continuation of the text.", targetForm: "the text of endings[label]",
                 notes: "HellaSwag validation (10,042) in a derived 6-lines-per-example text layout",
                 loader: FlanSourceLoaders.hellaSwag),
        FiveTaskCatalog.physicalIQA.inCluster(Cluster.commonsense),
        TaskSpec(id: "storycloze", name: "StoryCloze", cluster: Cluster.commonsense, sourceFiles: ["\(f)storycloze/spring2016_test.csv"],
                 instruction: "Choose the most sensible ending for the four-sentence story.", targetForm: "the text of the right ending (AnswerRightEnding 1|2)",
                 notes: "spring2016 *test* (1,871): the val split is XStoryCloze-en's evaluation data, so it is kept out of training",
                 loader: FlanSourceLoaders.storyCloze),
        // 4. Sentiment analysis
        TaskSpec(id: "imdb", name: "IMDB", cluster: Cluster.sentiment,
                 sourceFiles: ["\(f)glue-kshot/aclImdb/dev.json", "\(f)glue-kshot/aclImdb/test.json"],
                 instruction: "Is the sentiment of this movie review positive or negative?", targetForm: "\"positive\" (label 0) or \"negative\" (label 1)",
                 notes: "USB IMDB sample, 2,000 reviews; in this copy label 0 is positive (checked on review wording)",
                 loader: FlanLoaders.numberedTexts { $0 == "0" ? "positive" : $0 == "1" ? "negative" : nil }),
        TaskSpec(id: "sentiment140", name: "Sentiment140", cluster: Cluster.sentiment,
                 sourceFiles: ["\(f)sentiment140/testdata.manual.2009.06.14.csv"],
                 instruction: "What is the sentiment of this tweet: positive or negative?", targetForm: "\"negative\" (polarity 0) or \"positive\" (4); neutral (2) rows dropped",
                 notes: "the manually labelled test set only (the 1.6M-tweet train set is not in the mirror)",
                 loader: FlanSourceLoaders.sentiment140),
        TaskSpec(id: "sst2", name: "SST-2", cluster: Cluster.sentiment, sourceFiles: ["\(f)sst2/train_full.tsv"],
                 instruction: "Is the sentiment of this movie-review sentence positive or negative?", targetForm: "\"positive\" (1) or \"negative\" (0)",
                 loader: FlanSourceLoaders.sst2),
        TaskSpec(id: "yelp", name: "Yelp", cluster: Cluster.sentiment,
                 sourceFiles: ["\(f)glue-kshot/yelp_review/dev.json", "\(f)glue-kshot/yelp_review/test.json"],
                 instruction: "Is this Yelp review positive or negative?", targetForm: "\"negative\" for 1–2 stars (labels 0–1), \"positive\" for 4–5 (labels 3–4); 3-star rows dropped",
                 notes: "SUBSTITUTE for yelp_polarity at scale: 5-class Yelp reviews mapped to polarity as yelp_polarity was built",
                 loader: FlanLoaders.numberedTexts { ["0", "1"].contains($0) ? "negative" : ["3", "4"].contains($0) ? "positive" : nil }),
        // 5. Paraphrase detection
        TaskSpec(id: "mrpc", name: "MRPC", cluster: Cluster.paraphrase, sourceFiles: ["\(f)glue-kshot/k-shot/MRPC/16-42/test.tsv"],
                 instruction: "Do these two sentences mean the same thing? Answer \"yes\" or \"no\".", targetForm: "\"yes\" (Quality 1) or \"no\" (0)",
                 notes: "the GLUE MRPC dev set (408 pairs)",
                 loader: FlanLoaders.tsvPairs(first: ("#1 String", "Sentence 1"), second: ("#2 String", "Sentence 2"), labelColumn: "Quality") {
                     $0 == "1" ? "yes" : $0 == "0" ? "no" : nil
                 }),
        FiveTaskCatalog.qqp.inCluster(Cluster.paraphrase),
        TaskSpec(id: "paws-wiki", name: "PAWS Wiki", cluster: Cluster.paraphrase, sourceFiles: ["\(f)crossfit-kshot/paws/paws_16_42_test.jsonl"],
                 instruction: "Are these two sentences paraphrases of each other?", targetForm: "the CrossFit label word (\"duplicate\" / \"not_duplicate\")",
                 notes: "PAWS-Wiki labeled_final test (8,000) in CrossFit form", loader: FlanLoaders.crossfit()),
        // 6. Coreference resolution
        TaskSpec(id: "dpr", name: "DPR", cluster: Cluster.coreference,
                 sourceFiles: ["\(f)dpr-wsc273-wnli/data/dpr_train_small.txt", "\(f)dpr-wsc273-wnli/data/dpr_dev_small.txt"],
                 instruction: "Resolve the pronoun: who or what does it refer to in the sentence?", targetForm: "the correct candidate's text",
                 notes: "Definite Pronoun Resolution train + dev (WikiCREM repository's text layout)", loader: FlanLoaders.pronounBlocks()),
        TaskSpec(id: "wsc273", name: "WSC273", cluster: Cluster.coreference, sourceFiles: ["\(f)dpr-wsc273-wnli/data/wsc273.txt"],
                 instruction: "Resolve the masked pronoun: who or what does it refer to in the sentence?", targetForm: "the correct candidate's text",
                 loader: FlanLoaders.pronounBlocks()),
        // 7. Reading comprehension
        TaskSpec(id: "boolq", name: "BoolQ", cluster: Cluster.readingComprehension,
                 sourceFiles: ["\(f)superglue/BoolQ/train.jsonl", "\(f)superglue/BoolQ/dev32.jsonl", "\(f)superglue/BoolQ/val.jsonl"],
                 instruction: "Read the passage and answer the yes/no question.", targetForm: "\"yes\" (label true) or \"no\" (false)",
                 notes: "SuperGLUE BoolQ: FewGLUE 32 + dev32 32 + full validation 3,270",
                 loader: FlanLoaders.superGLUE { row in
                     guard let label = row.object["label"] as? Bool else { throw row.fail("label is not a boolean") }
                     return ("Passage: \(try row.string("passage"))\nQuestion: \(try row.string("question"))?", label ? "yes" : "no")
                 }),
        TaskSpec(id: "multirc", name: "MultiRC", cluster: Cluster.readingComprehension,
                 sourceFiles: ["\(f)superglue/MultiRC/train.jsonl", "\(f)superglue/MultiRC/dev32.jsonl", "\(f)superglue/MultiRC/val.jsonl"],
                 instruction: "Read the paragraph and decide whether the candidate answer to the question is correct. Answer \"yes\" or \"no\".",
                 targetForm: "\"yes\" (answer label 1) or \"no\" (0), one example per candidate answer",
                 loader: FlanSourceLoaders.multiRC),
        TaskSpec(id: "obqa", name: "OBQA", cluster: Cluster.readingComprehension, sourceFiles: ["\(f)obqa/train.tsv"],
                 instruction: "Answer the science question by choosing the correct option.", targetForm: "the text of the choice named by Answer Key",
                 loader: FlanSourceLoaders.openBookQA),
        TaskSpec(id: "squad-v1", name: "SQuADv1", cluster: Cluster.readingComprehension, sourceFiles: ["\(f)squad-v1-xquad-en/xquad.en.json"],
                 instruction: "Read the passage and answer the question with a span from it.", targetForm: "the first gold answer span",
                 notes: "SUBSTITUTE scale: XQuAD-en = 1,190 SQuAD v1.1 dev questions (the full SQuAD JSON is not in the mirror)",
                 loader: FlanLoaders.squadJSON()),
        TaskSpec(id: "squad-v2", name: "SQuADv2", cluster: Cluster.readingComprehension, sourceFiles: ["\(f)squad-v2-explorer-html"],
                 instruction: "Read the passage and answer the question with a span from it. If the passage does not contain the answer, reply \"unanswerable\".",
                 targetForm: "the first gold answer, or \"unanswerable\"",
                 notes: "SQuAD 2.0 dev (11,873 questions) parsed from the official explorer's HTML pages",
                 loader: FlanSourceLoaders.squadV2HTML),
        // 8. Reading comprehension with commonsense
        FiveTaskCatalog.cosmosQA.inCluster(Cluster.readingCommonsense),
        TaskSpec(id: "record", name: "ReCoRD", cluster: Cluster.readingCommonsense,
                 sourceFiles: seeds("superglue-record"),
                 instruction: "Read the news passage and give the entity that should replace @placeholder in the question.",
                 targetForm: "the CrossFit gold entity", notes: "about 160 unique CrossFit k-shot ReCoRD queries (the full set is not in the mirror)",
                 loader: FlanLoaders.crossfit()),
        // 9. Natural language inference
        TaskSpec(id: "anli", name: "ANLI", cluster: Cluster.inference, sourceFiles: ["\(f)crossfit-kshot/anli/anli_16_42_test.jsonl"],
                 instruction: "Does the premise entail the hypothesis, contradict it, or neither?", targetForm: "entailment / neutral / contradiction",
                 notes: "CrossFit ANLI test split (1,000)", loader: FlanLoaders.crossfit()),
        TaskSpec(id: "cb", name: "CB", cluster: Cluster.inference,
                 sourceFiles: ["\(f)superglue/CB/train.jsonl", "\(f)superglue/CB/dev32.jsonl", "\(f)superglue/CB/val.jsonl"],
                 instruction: "Does the premise entail the hypothesis, contradict it, or neither?", targetForm: "entailment / neutral / contradiction",
                 notes: "only 120 examples (32 + 32 + 56): a budget of 100 plus the held-out set does not fit",
                 loader: FlanLoaders.superGLUE { row in
                     let label = try row.string("label")
                     guard entailment3(label) != nil else { throw row.fail("label '\(label)'") }
                     return ("Premise: \(try row.string("premise"))\nHypothesis: \(try row.string("hypothesis"))", label)
                 }),
        TaskSpec(id: "mnli", name: "MNLI", cluster: Cluster.inference, sourceFiles: ["\(f)glue-kshot/glue_pretrain/MNLI/dev.json"],
                 instruction: "Does the premise entail the hypothesis, contradict it, or neither?", targetForm: "entailment / neutral / contradiction",
                 notes: "1,000 MNLI pairs (PowerfulPromptFT JSON)",
                 loader: FlanLoaders.numberedPairs(first: "Premise", second: "Hypothesis", label: entailment3)),
        TaskSpec(id: "qnli", name: "QNLI", cluster: Cluster.inference, sourceFiles: ["\(f)glue-kshot/k-shot/QNLI/16-42/test.tsv"],
                 instruction: "Does the sentence contain the answer to the question? Answer \"yes\" or \"no\".", targetForm: "\"yes\" (entailment) or \"no\" (not_entailment)",
                 notes: "the full GLUE QNLI dev set (5,463)",
                 loader: FlanLoaders.tsvPairs(first: ("question", "Question"), second: ("sentence", "Sentence"), labelColumn: "label", label: entailYesNo)),
        TaskSpec(id: "snli", name: "SNLI", cluster: Cluster.inference, sourceFiles: ["\(f)glue-kshot/glue_pretrain/SNLI/dev.json"],
                 instruction: "Does the premise entail the hypothesis, contradict it, or neither?", targetForm: "entailment / neutral / contradiction",
                 notes: "1,000 SNLI pairs (PowerfulPromptFT JSON)",
                 loader: FlanLoaders.numberedPairs(first: "Premise", second: "Hypothesis", label: entailment3)),
        TaskSpec(id: "wnli", name: "WNLI", cluster: Cluster.inference, sourceFiles: ["\(f)rte-wnli/WNLI/train.tsv", "\(f)rte-wnli/WNLI/dev.tsv"],
                 instruction: "Does the first sentence entail the second? Answer \"yes\" or \"no\".", targetForm: "\"yes\" (1) or \"no\" (0)",
                 loader: FlanLoaders.tsvPairs(first: ("sentence1", "Sentence 1"), second: ("sentence2", "Sentence 2"), labelColumn: "label", label: entailYesNo)),
        TaskSpec(id: "rte", name: "RTE", cluster: Cluster.inference, sourceFiles: ["\(f)rte-wnli/RTE/train.tsv", "\(f)rte-wnli/RTE/dev.tsv"],
                 instruction: "Does the first sentence entail the second? Answer \"yes\" or \"no\".", targetForm: "\"yes\" (entailment) or \"no\" (not_entailment)",
                 notes: "GLUE RTE re-split train + dev",
                 loader: FlanLoaders.tsvPairs(first: ("sentence1", "Sentence 1"), second: ("sentence2", "Sentence 2"), labelColumn: "label", label: entailYesNo)),
        // 10. Closed-book QA
        TaskSpec(id: "arc-challenge", name: "ARC-Challenge", cluster: Cluster.closedBookQA,
                 sourceFiles: ["\(f)arc/ARC-c/ARC-Challenge-Dev.jsonl", "\(f)arc/ARC-c/ARC-Challenge-Test.jsonl"],
                 instruction: "Answer the grade-school science question by choosing the correct option.", targetForm: "the text of the choice named by answerKey",
                 loader: FlanLoaders.arc()),
        TaskSpec(id: "arc-easy", name: "ARC-Easy", cluster: Cluster.closedBookQA,
                 sourceFiles: ["\(f)arc/ARC-e/ARC-Easy-Dev.jsonl", "\(f)arc/ARC-e/ARC-Easy-Test.jsonl"],
                 instruction: "Answer the grade-school science question by choosing the correct option.", targetForm: "the text of the choice named by answerKey",
                 loader: FlanLoaders.arc()),
        TaskSpec(id: "nq", name: "NQ", cluster: Cluster.closedBookQA, sourceFiles: ["\(f)nq/nq_open/NQ-open.dev.jsonl"],
                 instruction: "Answer the question from general knowledge.", targetForm: "the first gold answer alias",
                 notes: "NQ-open dev (3,610)", loader: FlanLoaders.openQA()),
        TaskSpec(id: "triviaqa", name: "TriviaQA", cluster: Cluster.closedBookQA, sourceFiles: ["\(f)triviaqa/triviaqa-validation.jsonl"],
                 instruction: "Answer the trivia question.", targetForm: "the first gold answer alias",
                 notes: "rc.wikipedia validation (7,993)", loader: FlanLoaders.openQA()),
    ]

    /// Datasets of appendix A.1.1 that the mirror does not hold.
    public static let missing: [MissingDataset] = [
        MissingDataset(name: "DROP", cluster: Cluster.readingComprehension,
                       reason: "no copy reachable (files over the mirror's 4 MiB limit or Git-LFS pointers; see provenance/manifest-part2.md)"),
    ]

    /// The number of datasets in the paper's Flanv2 subset (section 4.1.1, Table 3).
    public static let paperTaskCount = 43
}
