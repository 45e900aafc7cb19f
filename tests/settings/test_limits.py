"""The limits settings are checked against are AWS's documented ones."""

from __future__ import annotations

from settings.limits import FARGATE_SIZES, image_in_region, image_problems

IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/team/payments@sha256:" + "a" * 64


def test_fargate_size_table_matches_the_documented_pairs() -> None:
    assert FARGATE_SIZES[256] == (512, 1024, 2048)
    assert FARGATE_SIZES[512] == (1024, 2048, 3072, 4096)
    assert FARGATE_SIZES[4096][-1] == 30720
    assert FARGATE_SIZES[8192][:2] == (16384, 20480)
    assert FARGATE_SIZES[16384][-1] == 122880


def test_an_images_copy_in_another_region_keeps_repository_and_digest() -> None:
    assert image_in_region(IMAGE, "us-west-2") == IMAGE.replace(".us-east-1.", ".us-west-2.")
    assert image_in_region("nginx:latest", "us-west-2") is None


def test_an_image_must_be_pinned_by_digest_in_the_tasks_region() -> None:
    assert image_problems("container_image", IMAGE, "us-east-1") == []
    assert image_problems("container_image", None, "us-east-1") == []
    (tagged,) = image_problems("container_image", IMAGE.split("@")[0] + ":latest", "us-east-1")
    assert "must be an ECR image pinned by digest" in tagged
    (elsewhere,) = image_problems("container_image", IMAGE, "eu-west-1")
    assert "repository is in 'us-east-1'; tasks in 'eu-west-1'" in elsewhere


def test_the_region_list_is_the_one_the_pinned_botocore_knows() -> None:
    """settings/regions.py lists AWS's regions by partition; when the pinned botocore learns of a new region, this
    fails so that the list (and the region's gateway prefix lists) is brought up to date."""
    import botocore.session

    from settings.regions import AWS_PARTITIONS

    endpoints = botocore.session.get_session().get_data("endpoints")
    known = {partition["partition"]: sorted(partition["regions"]) for partition in endpoints["partitions"]}
    assert {name: sorted(regions) for name, regions in AWS_PARTITIONS.items()} == known
