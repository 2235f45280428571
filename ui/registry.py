"""The one registry of pages. ``streamlit_app.py`` builds the navigation from it, the home
page draws a card per topic from it, and the app tests walk it.

Every topic page has a ``Topic`` in ``dl_core/topics.py`` with the same path, in the same
order (``tests/unit/test_topics.py`` checks it). Adding a topic: ``docs/topic-guide.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under app_pages/
    title: str
    icon: str
    group: str  # navigation section ("" = top, no header)
    blurb: str = ""  # one line for the home page card; empty = not a topic card
    data: str = ""  # what kind of data the architecture fits (home page map)


GROUPS = ("", "Basics", "Vision", "Sequences", "Generative", "Reinforcement learning", "Server")

PAGES: list[PageSpec] = [
    PageSpec("app_pages/home.py", "Home", ":material/home:", ""),
    PageSpec(
        "app_pages/basics.py",
        "Neural-network basics",
        ":material/hub:",
        "Basics",
        (
            "Perceptron to deep MLP on 2-D data: watch the decision "
            "boundary move as it trains, step by step."
        ),
        "points in 2-D, tables (CSV)",
    ),
    PageSpec(
        "app_pages/cnn.py",
        "Convolutional networks",
        ":material/filter:",
        "Vision",
        (
            "Convolution by hand, a pretrained ImageNet network opened "
            "up (filters, Grad-CAM), and your own CNN."
        ),
        "images (photos, bundled sets, a zip, a .keras model)",
    ),
    PageSpec(
        "app_pages/transfer_learning.py",
        "Transfer learning",
        ":material/move_up:",
        "Vision",
        (
            "Teach a pretrained ImageNet network your own classes: "
            "feature extraction vs fine-tuning vs from scratch, side by side."
        ),
        "images (your classes, a zip, the camera, or animal silhouettes)",
    ),
    PageSpec(
        "app_pages/detection.py",
        "Object detection",
        ":material/crop_free:",
        "Vision",
        (
            "Find faces in your photo with a pretrained detector, "
            "watch NMS pick boxes step by step, and train YOLOv8 live on generated scenes."
        ),
        "images with boxes (generated scenes, your photo, the camera)",
    ),
    PageSpec(
        "app_pages/segmentation.py",
        "Semantic segmentation",
        ":material/select_all:",
        "Vision",
        (
            "Train a U-Net or DeepLab live and watch its masks improve; "
            "segment your own photo with a few strokes on pretrained features."
        ),
        "images with pixel masks (generated scenes, silhouettes, your photo)",
    ),
    PageSpec(
        "app_pages/text_generation.py",
        "Text generation (RNN, LSTM, GRU)",
        ":material/edit_note:",
        "Sequences",
        (
            "Train character-level RNN, LSTM and GRU models on Shakespeare "
            "or your own text: sample with temperature, spot quoting, look inside the gates."
        ),
        "text (Shakespeare, uploaded or pasted)",
    ),
    PageSpec(
        "app_pages/attention.py",
        "Transformer attention",
        ":material/center_focus_strong:",
        "Sequences",
        (
            "A pretrained transformer's attention on your own text "
            "(every layer and head, rollout, embeddings) and a tiny GPT trained live."
        ),
        "text (typed, uploaded or Shakespeare)",
    ),
    PageSpec(
        "app_pages/gan.py",
        "GANs and autoencoders",
        ":material/auto_awesome:",
        "Generative",
        (
            "Train a DCGAN and a VAE on digits or your own images: "
            "watch samples emerge, walk the latent space."
        ),
        "images (bundled sets or a zip)",
    ),
    PageSpec(
        "app_pages/dqn.py",
        "Deep Q-networks (DQN)",
        ":material/sports_esports:",
        "Reinforcement learning",
        (
            "Train a DQN agent on CartPole, Acrobot, MountainCar "
            "or LunarLander live, then replay its episodes frame "
            "by frame with the Q-value of every action."
        ),
        "environments (Gymnasium: states, actions, rewards)",
    ),
    PageSpec("app_pages/jobs.py", "Jobs", ":material/list_alt:", "Server"),
]


def topic_pages() -> list[PageSpec]:
    """Pages that teach a topic (they have a home-page card)."""
    return [p for p in PAGES if p.blurb]
