"""The class catalogue: label classes (ImageNet's 1,000 by default) and their superclasses."""

from django.db import models


class Superclass(models.Model):
    """A coarse grouping of classes (the paper's 11 superclasses), for confusion matrices."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = "annotation_superclass"
        verbose_name_plural = "superclasses"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LabelClass(models.Model):
    """One class a label can name: a WordNet synset with the words shown to workers."""

    index = models.PositiveIntegerField(unique=True, help_text="Class index (0-999 on ImageNet).")
    wnid = models.CharField(max_length=16, unique=True, help_text="WordNet id, e.g. n01440764.")
    name = models.CharField(max_length=200, help_text="First lemma, shown as the label.")
    synonyms = models.JSONField(default=list, blank=True, help_text="All lemmas, in order.")
    gloss = models.TextField(blank=True)
    wikipedia_url = models.URLField(max_length=500, blank=True)
    superclass = models.ForeignKey(
        Superclass, null=True, blank=True, on_delete=models.SET_NULL, related_name="classes"
    )
    # Minimal hypernym distance from this synset to each ancestor synset (itself at 0); the
    # WordNet distance between two classes is computed from two of these without nltk.
    hypernym_distances = models.JSONField(default=dict, blank=True)
    # One hypernym path from the root, for browsing the hierarchy.
    hypernym_path = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "annotation_labelclass"
        ordering = ["index"]
        verbose_name_plural = "label classes"

    def __str__(self) -> str:
        return f"{self.index} {self.name}"
