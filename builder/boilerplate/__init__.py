"""Boilerplate removal: learned site templates, single-page rules (as data), optional site profiles.

Whole corpus:   templates = clean_corpus(articles, cfg)          # {site: template.to_dict()}
Streaming:      cleaner = Cleaner(cfg); learner = cleaner.learner()
                for a in batch: learner.observe(a)               # pass 1, per site counts only
                templates = learner.finalize()
                cleaner.apply_many(batch, [templates.get(a.site) for a in batch])   # pass 2
                (line features are computed for a whole batch at once: batches of ~100 pages,
                sites mixed, cost far less per page than one `cleaner.apply(a, template)` each)
"""
from builder.boilerplate.clean import Cleaner, batched_by_pages, clean_corpus, learn_templates
from builder.boilerplate.templates import SiteTemplate, TemplateLearner

__all__ = ["Cleaner", "SiteTemplate", "TemplateLearner", "batched_by_pages", "clean_corpus", "learn_templates"]
