"""The campaign page's forms: a new campaign (the model's own checks, the ensemble among the
registered ones, the crowd and its budget) and control images."""

from __future__ import annotations

from django import forms

from catalogue.models import Dataset
from pipeline.models import Campaign
from studio.lifecycle import check_crowd
from studio.planning import CROWDS


def ensemble_choices() -> list[tuple[str, str]]:
    from models_zoo.registry import known_ensembles  # timm: imported when a form is made

    return [(name, name) for name in known_ensembles()]


class CampaignForm(forms.ModelForm):
    ensemble = forms.ChoiceField(
        choices=ensemble_choices,
        error_messages={
            "invalid_choice": "Unknown model ensemble %(value)s: choose a registered one."
        },
    )
    crowd = forms.ChoiceField(choices=list(CROWDS.items()), initial="local")
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("name"))

    class Meta:
        model = Campaign
        fields = [
            "name",
            "dataset",
            "ensemble",
            "crowd",
            "contains_assignments",
            "contains_min_assignments",
            "classify_assignments",
            "classify_min_assignments",
            "contains_reward",
            "classify_reward",
            "mturk_budget",
        ]

    def clean(self) -> dict:
        data = super().clean()
        if "crowd" in data:
            for field, message in check_crowd(data["crowd"], data.get("mturk_budget")).items():
                self.add_error(field, message)
        return data


class StartForm(forms.Form):
    random_weights = forms.BooleanField(
        required=False, label="Untrained model weights (demos and tests: no download)"
    )
    confirm_live = forms.BooleanField(
        required=False, label="I confirm publishing on live MTurk (real money)"
    )


class ControlsForm(forms.Form):
    manifest = forms.FileField(
        required=False, label="CSV of known-label images (header: path_or_url,label)"
    )
    folder = forms.CharField(
        required=False, max_length=1000, label="or a folder on the server (label/image.jpg)"
    )

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("manifest")) == bool(data.get("folder", "").strip()):
            raise forms.ValidationError("Give either a CSV file or a folder.")
        return data
