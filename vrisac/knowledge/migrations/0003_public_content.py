"""The public site's first content: every page in Dutch and English (version 1 in its
history) and the podcasts and videos. Source: vrisac/knowledge/data/ (see its README)."""

from django.db import migrations
from django.utils import timezone

SLUGS = ["digitale-weerbaarheid", "vr-isac", "ncsc", "nis2", "cvd", "digitale-ontwrichting",
         "podcasts", "video", "privacy"]


def load(apps, schema_editor):
    from vrisac.core.markdown import render_markdown
    from vrisac.knowledge.content import media_items, page_texts

    PublicPage = apps.get_model("knowledge", "PublicPage")
    PublicPageRevision = apps.get_model("knowledge", "PublicPageRevision")
    MediaItem = apps.get_model("knowledge", "MediaItem")
    now = timezone.now()
    for position, slug in enumerate(SLUGS, start=1):
        if PublicPage.objects.filter(slug=slug).exists():
            continue
        texts = page_texts(slug)
        page = PublicPage.objects.create(
            slug=slug, position=position, version=1, updated_at=now,
            body_html_nl=render_markdown(texts["body_nl"]),
            body_html_en=render_markdown(texts["body_en"]), **texts)
        PublicPageRevision.objects.create(page=page, version=1, edited_at=now,
                                          note="first content", **texts)
    if not MediaItem.objects.exists():
        for item in media_items():
            MediaItem.objects.create(updated_at=now, **item)


def unload(apps, schema_editor):
    apps.get_model("knowledge", "MediaItem").objects.all().delete()
    apps.get_model("knowledge", "PublicPage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_index")]

    operations = [migrations.RunPython(load, unload)]
