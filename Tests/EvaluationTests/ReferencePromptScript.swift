// The Python reference that produced ReferencePromptDigestTests.expected (run: python3 ref.py,
// with D pointing at the data mirror). Kept here, as a comment, so the digests can be regenerated
// when the mirror or a template changes (bump the definition version then).
/*
# Independent Python rendering of the lm-eval prompts, hashed with FNV-1a 64 over UTF-8.
import csv, json, glob, os, re
D='/work/shared/data'
def fnv(h, s):
    for b in s.encode('utf-8'):
        h ^= b; h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
H0=0xcbf29ce484222325
def item(h, ctx, conts): return fnv(h, ctx + "\x00" + "\x01".join(conts) + "\x02")
out={}
# MMLU
subs=sorted(f[:-9] for f in os.listdir(D+'/mmlu/test'))
h=H0
for s in subs:
    dev=list(csv.reader(open(f'{D}/mmlu/dev/{s}_dev.csv',newline='',encoding='utf-8')))[1:]
    test=list(csv.reader(open(f'{D}/mmlu/test/{s}_test.csv',newline='',encoding='utf-8')))[1:]
    def q(r): return r[0].strip()+"\nA. %s\nB. %s\nC. %s\nD. %s\nAnswer:"%tuple(r[1:5])
    pre="The following are multiple choice questions (with answers) about %s.\n\n"%s.replace('_',' ')
    for r in dev[:5]: pre+=q(r)+" "+"ABCD"[int(r[5])]+"\n\n"
    for r in test: h=item(h,pre+q(r),[" A"," B"," C"," D"])
out['mmlu']=h
# XCOPA
conn={"et":("sest","seetõttu"),"ht":("poukisa","donk sa"),"id":("karena","maka"),"it":("perché","quindi"),"qu":("imataq","chaymi"),"sw":("kwa sababu","kwa hiyo"),"ta":("காரணமாக","எனவே"),"th":("เพราะ","ดังนั้น"),"tr":("çünkü","bu yüzden"),"vi":("bởi vì","vì vậy"),"zh":("因为","所以")}
h=H0
for l in ["et","ht","id","it","qu","sw","ta","th","tr","vi","zh"]:
    for line in open(f'{D}/xcopa/{l}/test.{l}.jsonl',encoding='utf-8'):
        d=json.loads(line); c=conn[l][0 if d['question']=='cause' else 1]
        cv=lambda x: x[0].lower()+x[1:]
        h=item(h,d['premise'].strip()[:-1]+f" {c}",[" "+cv(d['choice1'])," "+cv(d['choice2'])])
out['xcopa']=h
# XStoryCloze
h=H0
for l in ["ar","en","es","eu","hi","id","my","ru","sw","te","zh"]:
    for line in open(f'{D}/xstorycloze/{l}_eval.jsonl',encoding='utf-8'):
        d=json.loads(line)
        h=item(h," ".join(d[f'input_sentence_{i}'] for i in range(1,5)),[" "+d['sentence_quiz1']," "+d['sentence_quiz2']])
out['xstorycloze']=h
# XWinograd
rows={}
for line in open(f'{D}/xwinograd/dataset.tsv',encoding='utf-8'):
    lang,src,q,sent,toks,pron,cands=line.rstrip('\n').split('\t')
    toks=json.loads(toks); pron=json.loads(pron); cands=json.loads(cands)
    pos=0; offs=[]
    for t in toks:
        for a in [t]+(['"'] if t in ('``',"''") else []):
            i=pos
            while i<len(sent) and sent[i].isspace(): i+=1
            if sent.startswith(a,i): offs.append((i,i+len(a))); pos=i+len(a); break
    a,b=pron[1]; s0=offs[a][0]; e0=offs[b-1][1]
    sentence=sent[:s0]+"_"+sent[e0:]
    rows.setdefault(lang,[]).append(sentence)
    idx=sentence.index("_")
    rows[lang][-1]=(sentence[:idx]+cands[0][0], sentence[:idx]+cands[1][0], " "+sentence[idx+1:].strip())
h=H0
for l in ["en","fr","jp","pt","ru","zh"]:
    for c1,c2,cont in rows[l]:
        h=fnv(h,c1+"\x00"+cont+"\x02"); h=fnv(h,c2+"\x00"+cont+"\x02")
out['xwinograd']=h
# EXAMS
h=H0
langs=[("ar","Arabic"),("bg","Bulgarian"),("de","German"),("es","Spanish"),("fr","French"),("hr","Croatian"),("hu","Hungarian"),("it","Italian"),("lt","Lithuanian"),("mk","North Macedonian"),("pl","Polish"),("pt","Portuguese"),("sq","Albanian"),("sr","Serbian"),("tr","Turkish"),("vi","Vietnamese")]
allrows=[json.loads(l) for l in open(f'{D}/exams/multilingual/test.jsonl',encoding='utf-8')]
for code,name in langs:
    for d in allrows:
        if d['info']['language']!=name: continue
        labels=[c['label'] for c in d['question']['choices']]
        if d['answerKey'] not in labels: continue
        h=item(h,"Q: "+d['question']['stem']+"\nA:",[" "+c['text'] for c in d['question']['choices']])
out['exams']=h
# BBH direct + cot
rx=re.compile(r"(?<=answer is )(.*)(?=.)")
tasks=sorted(f[:-5] for f in os.listdir(D+'/bbh/tasks') if f.endswith('.json'))
hd=H0; hc=H0
for t in tasks:
    p=open(f'{D}/bbh/cot-prompts/{t}.txt',encoding='utf-8').read().split("\n-----\n")[-1]
    blocks=p.split("\n\n"); k=next(i for i,b in enumerate(blocks) if b.startswith("Q: "))
    desc="\n\n".join(blocks[:k]); shots=blocks[k:]
    pre_d="".join(s.split("Let's think step by step.")[0]+rx.search(s)[0]+"\n\n" for s in shots)
    pre_c="\n\n".join(shots)+"\n\n"
    for ex in json.load(open(f'{D}/bbh/tasks/{t}.json'))['examples']:
        hd=item(hd,desc+"\n\n"+pre_d+"Q: "+ex['input']+"\nA:",[ex['target']])
        hc=item(hc,desc+"\n\n"+pre_c+"Q: "+ex['input']+"\nA: Let's think step by step.\n",[ex['target']])
out['bbh-direct']=hd; out['bbh-cot']=hc
for k,v in out.items(): print(f'"{k}": 0x{v:016x},')
*/
