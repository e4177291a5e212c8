// Module Data — training tasks as data: settings, task loaders, budgets, episodes, data selection.
//
//   DataDirectory        where the mirror is (--data-dir, $METALORA_DATA, ./data)
//   RowReader            JSONL / JSON / CSV / TSV / line readers with file+line errors
//   TaskSpec             one task: sources, instruction, target form, cluster, loader
//   FiveTaskCatalog      GSM8K, QQP, CosmosQA, SiQA, PiQA, WinoGrande (section 4.1.1)
//   FlanCatalog          the Flanv2 subset of appendix A.1.1 (42 of 43 present, DROP missing)
//   MultilingualCatalog  the Bactrian-X substitute (FLORES-200 + XQuAD-en, 52 languages)
//   TaskRegistry         settings five-task, five-task-winogrande, flanv2-43, multilingual
//   TaskPool/TaskBudget  fixed held-out set; per-task budget drawn once by seed, recorded by id
//   EpisodeSampler       n tasks per iteration, disjoint support/query sets (Algorithm 1)
//   MixedTaskBatches     the LoRA baseline's shuffled mixed-task batches
//   DataPlan             all of the above resolved and validated before any compute
//   PromptFormat         Alpaca or a chat template (ChatML, LLaMA-2, caller-supplied)
//   ExampleTokenizer     prompt-masked labels, EOS, truncation with a report
//   DataSelection        BM25 / DSIR top-k per task for a target benchmark (Table 13)
//   SelectionTarget      the target texts a selection ranks against, with their sources and digest
//   SettingStatistics    Table 3 counts
