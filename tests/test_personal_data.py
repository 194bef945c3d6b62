from govcloud.census.core.personal_data import personal_item_names
from govcloud.core.settings import PrivacySettings, Settings


def test_personal_items_are_found_inside_longer_names_and_reported_once() -> None:
    names = ["救助对象姓名", "公民身份号码", "救助金额", "救助对象姓名", "企业名称"]
    assert personal_item_names(names) == ("救助对象姓名", "公民身份号码")


def test_the_list_is_a_setting() -> None:
    settings = Settings(privacy=PrivacySettings(personal_data_items=("金额",)))
    assert personal_item_names(["救助对象姓名", "救助金额"], settings) == ("救助金额",)
