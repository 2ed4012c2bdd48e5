"""Boilerplate removal: learned site templates, single-page rules (as data), optional site profiles.

Whole corpus:   templates = clean_corpus(articles, cfg)          # {site: template.to_dict()}
Streaming:      cleaner = Cleaner(cfg); learner = cleaner.learner()
                for a in batch: learner.observe(a)               # pass 1, per site counts only
                templates = learner.finalize()
                for a in batch: cleaner.apply(a, templates.get(a.site))   # pass 2
"""
from builder.boilerplate.clean import Cleaner, clean_corpus, learn_templates
from builder.boilerplate.templates import SiteTemplate, TemplateLearner

__all__ = ["Cleaner", "SiteTemplate", "TemplateLearner", "clean_corpus", "learn_templates"]
