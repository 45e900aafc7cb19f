"""components/processor_secret.py: the processor's credentials under the data key, retained."""

from __future__ import annotations

from aws_cdk import aws_kms as kms

from components.processor_secret import ProcessorSecret
from tests.support.bare import bare_stack, resources, template


def test_secret_is_encrypted_with_the_given_key_and_retained() -> None:
    stack = bare_stack()
    ProcessorSecret(stack, "ProcessorSecret", key=kms.Key(stack, "DataKey"))
    (secret,) = resources(template(stack), "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("DataKey")
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 48
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
