import Foundation

/// The multilingual setting (section 4.1.2): Bactrian-X, 52 languages, 50 examples each.
///
/// SUBSTITUTE: Bactrian-X (Alpaca/Dolly instructions machine-translated into 52 languages) is
/// not reachable from the mirror. Each language instead gets a translation-instruction task
/// built from FLORES-200 devtest (1,012 line-aligned sentences per language, the same 52
/// languages): "Translate the following English sentence into <language>." → the sentence in
/// that language. English itself, for which translation from English is meaningless, gets
/// extractive QA from XQuAD-en (SQuAD v1.1 dev questions) instead. These are instruction-shaped
/// parallel/QA pairs, not Alpaca-style open instructions; every run records this.
public enum MultilingualCatalog {
    public static let cluster = "multilingual"

    public static let substitutionNote = "Bactrian-X is not in the data mirror; substitute: FLORES-200 devtest English→X translation instructions for the 51 non-English Bactrian-X languages and XQuAD-en extractive QA for English (instruction-shaped parallel data, not translated Alpaca/Dolly instructions)"

    /// (ISO 639-1 code as Bactrian-X names it, FLORES-200 code, language name).
    public static let languages: [(code: String, flores: String, name: String)] = [
        ("af", "afr_Latn", "Afrikaans"), ("ar", "arb_Arab", "Arabic"), ("az", "azj_Latn", "Azerbaijani"),
        ("bn", "ben_Beng", "Bengali"), ("cs", "ces_Latn", "Czech"), ("de", "deu_Latn", "German"),
        ("en", "eng_Latn", "English"), ("es", "spa_Latn", "Spanish"), ("et", "est_Latn", "Estonian"),
        ("fa", "pes_Arab", "Persian"), ("fi", "fin_Latn", "Finnish"), ("fr", "fra_Latn", "French"),
        ("gl", "glg_Latn", "Galician"), ("gu", "guj_Gujr", "Gujarati"), ("he", "heb_Hebr", "Hebrew"),
        ("hi", "hin_Deva", "Hindi"), ("hr", "hrv_Latn", "Croatian"), ("id", "ind_Latn", "Indonesian"),
        ("it", "ita_Latn", "Italian"), ("ja", "jpn_Jpan", "Japanese"), ("ka", "kat_Geor", "Georgian"),
        ("kk", "kaz_Cyrl", "Kazakh"), ("km", "khm_Khmr", "Khmer"), ("ko", "kor_Hang", "Korean"),
        ("lt", "lit_Latn", "Lithuanian"), ("lv", "lvs_Latn", "Latvian"), ("mk", "mkd_Cyrl", "Macedonian"),
        ("ml", "mal_Mlym", "Malayalam"), ("mn", "khk_Cyrl", "Mongolian"), ("mr", "mar_Deva", "Marathi"),
        ("my", "mya_Mymr", "Burmese"), ("ne", "npi_Deva", "Nepali"), ("nl", "nld_Latn", "Dutch"),
        ("pl", "pol_Latn", "Polish"), ("ps", "pbt_Arab", "Pashto"), ("pt", "por_Latn", "Portuguese"),
        ("ro", "ron_Latn", "Romanian"), ("ru", "rus_Cyrl", "Russian"), ("si", "sin_Sinh", "Sinhala"),
        ("sl", "slv_Latn", "Slovenian"), ("sv", "swe_Latn", "Swedish"), ("sw", "swh_Latn", "Swahili"),
        ("ta", "tam_Taml", "Tamil"), ("te", "tel_Telu", "Telugu"), ("th", "tha_Thai", "Thai"),
        ("tl", "tgl_Latn", "Tagalog"), ("tr", "tur_Latn", "Turkish"), ("uk", "ukr_Cyrl", "Ukrainian"),
        ("ur", "urd_Arab", "Urdu"), ("vi", "vie_Latn", "Vietnamese"), ("xh", "xho_Latn", "Xhosa"),
        ("zh", "zho_Hans", "Chinese"),
    ]

    static let flores = "multilingual/flores200/devtest/"

    public static let tasks: [TaskSpec] = languages.map { language in
        if language.code == "en" {
            return TaskSpec(id: "ml-en", name: "English (XQuAD-en QA)", cluster: cluster,
                            sourceFiles: ["flan/squad-v1-xquad-en/xquad.en.json"],
                            instruction: "Read the passage and answer the question with a span from it.",
                            targetForm: "the first gold answer span", notes: substitutionNote,
                            loader: FlanLoaders.squadJSON())
        }
        return TaskSpec(id: "ml-\(language.code)", name: "\(language.name) (FLORES-200 en→\(language.code))", cluster: cluster,
                        sourceFiles: ["\(flores)eng_Latn.devtest", "\(flores)\(language.flores).devtest"],
                        instruction: "Translate the following English sentence into \(language.name).",
                        targetForm: "the line-aligned FLORES-200 \(language.name) sentence", notes: substitutionNote,
                        loader: FlanLoaders.parallel())
    }
}
