from django import forms


class CalDAVForm(forms.Form):
    url = forms.URLField(
        label="CalDAV server URL",
        help_text="e.g. https://caldav.fastmail.com/",
        assume_scheme="https",
    )
    username = forms.CharField(label="Username (email)", max_length=254)
    password = forms.CharField(label="App password", widget=forms.PasswordInput, max_length=512)


class ServiceAccountKeyForm(forms.Form):
    key = forms.CharField(
        label="Service-account key (JSON)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        required=False,
    )
    key_file = forms.FileField(label="…or upload the key file", required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("key_file")
        if upload:
            if upload.size > 64 * 1024:
                raise forms.ValidationError("That file is too large to be a service-account key.")
            data["key"] = upload.read().decode("utf-8", "replace")
        if not data.get("key"):
            raise forms.ValidationError("Paste the JSON key or upload the key file.")
        return data
