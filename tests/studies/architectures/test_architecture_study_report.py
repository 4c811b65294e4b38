"""The study report's conclusion is generated from the numbers it is given."""

from cnn_explain_tf.studies.architectures.sections import conclusion


def _row(method, within, between, p):
    return {"method": method, "within-family SSIM": within, "between-family SSIM": between,
            "p-value": p, "ARI (tree vs families)": 0.5}


def test_conclusion_follows_the_numbers():
    similarity = {"gradcam": {"outlier_counts": {"alexnet_lite": 3, "vgg13_lite": 1},
                              "readings": [{}] * 5}}
    aopc = [{"model": "a", "method": "gradcam", "difference": 0.2,
             "difference_interval": [0.1, 0.3]},
            {"model": "b", "method": "saliency", "difference": -0.1,
             "difference_interval": [-0.2, 0.05]}]
    text = conclusion([_row("gradcam", 0.61, 0.32, 0.004), _row("saliency", 0.2, 0.21, 0.6)],
                      similarity, aopc)
    assert "for 1 of 2 methods (gradcam)" in text
    assert "gradcam: within 0.610 vs between 0.320 (p = 0.004" in text
    assert "gradcam: alexnet_lite (3 of 5 images)" in text
    assert "1 of 2 model x method maps beat the random map" in text
    assert "gradcam on a (+0.200 AOPC)" in text
    none = conclusion([_row("gradcam", 0.3, 0.32, 0.4)], {}, [])
    assert "for 0 of 1 methods." in none and "Perturbation" not in none
