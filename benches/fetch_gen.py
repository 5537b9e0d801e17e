#!/usr/bin/env python3
# Copied from ../shared/bench/ (bench_fetch_*.py) so benches/fetch_cycle.sh runs from the repository alone.
"""Generate N deterministic RSS 2.0 feeds for bench_fetch.sh.

usage: bench_fetch_gen.py OUT_DIR N ITEMS SEED
  -> OUT_DIR/feed-0001.xml .. feed-NNNN.xml (zero-padded to max(4, len(str(N))) digits)
     OUT_DIR/meta.json  {n, items, seed, width, bytes_total, bytes_avg, items_total}

Each feed is one fictional outlet; each item has a title, a link, a guid (permalink or
not), a pubDate (RFC 822), a dc:creator, categories, and a 300-800 character HTML
description (entity-escaped in even feeds, CDATA in odd ones). Same seed -> same bytes.
"""
import datetime
import json
import os
import random
import sys
from xml.sax.saxutils import escape

COMPANIES = ["Microsoft", "OpenAI", "Google", "DeepMind", "Anthropic", "Meta", "Mistral", "Nvidia",
             "Amazon", "Apple", "xAI", "Cohere", "Hugging Face", "Stability AI", "Baidu", "Alibaba",
             "Samsung", "IBM", "Aleph Alpha", "Inflection"]
MODELS = ["MAI-1", "GPT-4", "GPT-4o", "Gemini 1.5", "Claude 3", "Llama 3", "Mixtral 8x22B", "Phi-3",
          "Grok-1.5", "Command R+", "Qwen 1.5", "Ernie 4", "Gemma", "DBRX", "Titan", "Nemotron"]
PEOPLE = ["Mustafa Suleyman", "Sam Altman", "Sundar Pichai", "Demis Hassabis", "Dario Amodei",
          "Mark Zuckerberg", "Arthur Mensch", "Jensen Huang", "Satya Nadella", "Yann LeCun",
          "Mira Murati", "Kevin Scott", "Aidan Gomez", "Clem Delangue"]
VERBS = ["unveils", "trains", "launches", "tests", "delays", "open-sources", "prices", "ships",
         "benchmarks", "licenses", "expands", "restricts", "previews", "rebrands", "scales up"]
THINGS = ["a 500B-parameter model", "a new reasoning model", "its next frontier model",
          "a smaller on-device model", "an enterprise assistant", "a coding agent", "a search product",
          "a multimodal API", "a data-center deal", "a safety framework", "an image generator",
          "a speech model", "a chip partnership", "a developer platform"]
QUALIFIERS = ["to rival GPT-4", "amid antitrust scrutiny", "after months of secrecy", "for European users",
              "ahead of its developer conference", "with a 1M-token context window", "at half the price",
              "as rivals close the gap", "under a new licence", "in a surprise announcement", "",
              "", "according to a report", "as investors watch"]
SENTENCES = [
    "The company said the system was trained on a cluster of {n} accelerators over several weeks.",
    "{person} told reporters that the work builds on earlier research published last year.",
    "Analysts expect {company} to make the model available to enterprise customers first.",
    "The model, internally called {model}, reportedly performs close to the best systems on coding benchmarks.",
    "People familiar with the matter said the launch could come as early as next month.",
    "Critics point out that the evaluation numbers have not been independently verified.",
    "Pricing starts at ${price} per million input tokens, according to the announcement.",
    "{company} declined to comment on the size of the training dataset.",
    "The release follows a string of announcements from competitors in recent weeks.",
    "Regulators in Brussels and London have asked for details about the deal.",
    "Early testers describe the system as faster but occasionally less reliable than {model}.",
    "The team behind the project includes several former researchers from {company2}.",
    "A spokesperson said more details would be shared at a later date.",
    "The move puts further pressure on smaller labs that rely on open models.",
]
TLDS = ["com", "net", "org", "io", "de", "co.uk", "fr", "news"]
WORDS = ["tech", "wire", "daily", "signal", "digest", "review", "insider", "report", "times",
         "post", "herald", "brief", "watch", "labs", "journal", "observer"]

BASE = datetime.datetime(2024, 5, 6, 12, 0, 0, tzinfo=datetime.timezone.utc)


def rfc822(d):
    return d.strftime('%a, %d %b %Y %H:%M:%S +0000')


def slugify(s):
    out = []
    for ch in s.lower():
        out.append(ch if ch.isalnum() else '-')
    return '-'.join(p for p in ''.join(out).split('-') if p)[:40]


def fill(rng, s):
    return s.format(n=rng.choice(["4,000", "10,000", "16,000", "24,576"]), person=rng.choice(PEOPLE),
                    company=rng.choice(COMPANIES), company2=rng.choice(COMPANIES), model=rng.choice(MODELS),
                    price=rng.choice(["0.50", "2", "5", "10", "15"]))


def description(rng, link):
    """HTML of 300-800 characters: paragraphs of sentences, some <em>, sometimes a link."""
    target = rng.randint(300, 450)
    paras = [[]]
    html = ''
    while True:
        s = fill(rng, rng.choice(SENTENCES))
        if rng.random() < 0.25:
            w = s.split(' ')
            k = rng.randrange(len(w))
            w[k] = '<em>%s</em>' % w[k]
            s = ' '.join(w)
        if paras[-1] and rng.random() < 0.4:
            paras.append([])
        paras[-1].append(s)
        html = ''.join('<p>%s</p>' % ' '.join(p) for p in paras)
        if len(html) >= target:
            break
    if rng.random() < 0.2 and len(html) + len(link) + 40 <= 800:
        html += '<p><a href="%s">Read more</a></p>' % escape(link, {'"': '&quot;'})
    return html


def make_feed(rng, idx, items):
    host = '%s%s-%04d.example' % (rng.choice(WORDS), rng.choice(WORDS), idx)
    title = '%s %s' % (rng.choice(WORDS).title(), rng.choice(WORDS).title())
    cdata = idx % 2 == 1
    lang = rng.choice(["en", "en", "en", "en-gb", "de"])
    # items go back in time from a feed-specific newest date
    newest = BASE - datetime.timedelta(minutes=rng.randint(0, 600))
    when = newest
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n',
           '<title>%s</title>\n<link>https://%s/</link>\n' % (escape(title), host),
           '<atom:link href="https://%s/feed.xml" rel="self" type="application/rss+xml"/>\n' % host,
           '<description>%s: AI industry news</description>\n<language>%s</language>\n' % (escape(title), lang),
           '<lastBuildDate>%s</lastBuildDate>\n<generator>bench_fetch_gen</generator>\n' % rfc822(newest)]
    for j in range(items):
        company = rng.choice(COMPANIES)
        t = '%s %s %s %s' % (company, rng.choice(VERBS), rng.choice(THINGS), rng.choice(QUALIFIERS))
        t = t.strip()
        if rng.random() < 0.2:
            t += ' (%s)' % rng.choice(MODELS)
        if rng.random() < 0.1:
            t = t.replace("a ", "a “new” ", 1)  # some non-ASCII
        path = '%04d/%02d/%02d/%s-%d' % (when.year, when.month, when.day, slugify(t), idx * 1000 + j)
        link = 'https://%s/%s' % (host, path)
        permalink = rng.random() < 0.5
        guid = link if permalink else 'tag:%s,2024:%d' % (host, idx * 1000 + j)
        desc = description(rng, link)
        if cdata:
            desc_xml = '<![CDATA[%s]]>' % desc
        else:
            desc_xml = escape(desc)
        out.append('<item>\n<title>%s</title>\n<link>%s</link>\n<guid isPermaLink="%s">%s</guid>\n'
                   '<pubDate>%s</pubDate>\n<dc:creator>%s</dc:creator>\n<category>%s</category>\n'
                   '<description>%s</description>\n</item>\n'
                   % (escape(t), escape(link), 'true' if permalink else 'false', escape(guid), rfc822(when),
                      escape(rng.choice(PEOPLE)), escape(company), desc_xml))
        when -= datetime.timedelta(minutes=rng.randint(20, 600))
    out.append('</channel>\n</rss>\n')
    return ''.join(out).encode('utf-8')


def main():
    out_dir, n, items, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(out_dir, exist_ok=True)
    width = max(4, len(str(n)))
    total = 0
    for i in range(1, n + 1):
        rng = random.Random('%d:%d' % (seed, i))  # per-feed stream: feed i is the same for any N
        data = make_feed(rng, i, items)
        total += len(data)
        with open(os.path.join(out_dir, 'feed-%0*d.xml' % (width, i)), 'wb') as f:
            f.write(data)
    meta = {'n': n, 'items': items, 'seed': seed, 'width': width, 'bytes_total': total,
            'bytes_avg': total // max(n, 1), 'items_total': n * items}
    with open(os.path.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    print(json.dumps(meta))


if __name__ == '__main__':
    main()
